package org.jkvm.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.jkvm.engine.CpuSpec;
import org.jkvm.engine.EngineException;
import org.jkvm.hypervisor.x86.CpuidEntry;
import org.junit.jupiter.api.Test;

class CpuidResolverTest {
    private static final int NX = 1 << 20;
    private static final int LM = 1 << 29;
    private static final int PDPE1GB = 1 << 26;
    private static final int AVX = 1 << 28;
    private static final int SSE2 = 1 << 26;
    /** A made-up host: leaf 1 with AVX and SSE2, leaf 7 with AVX2, extended leaf with NX, LM, PDPE1GB. */
    private static final List<CpuidEntry> HOST = List.of(
            new CpuidEntry(0, 0, false, 0xd, 0x756e6547, 0x6c65746e, 0x49656e69),
            new CpuidEntry(1, 0, false, 0x306a9, 0x05020800, AVX | 1 | (1 << 31), SSE2 | 1),
            new CpuidEntry(0xb, 1, true, 1, 2, 0x201, 5),
            new CpuidEntry(7, 0, true, 0, 1 << 5, 0, 0),
            new CpuidEntry(0x40000000, 0, false, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d),
            new CpuidEntry(0x80000001, 0, false, 0, 0, 1, NX | LM | PDPE1GB | (1 << 11)));

    private static CpuidEntry leaf(List<CpuidEntry> t, int fn) {
        return t.get(CpuidResolver.indexOf(t, fn, 0));
    }

    @Test
    void hostPassesThroughAndAddsTheTimingLeaves() {
        List<CpuidEntry> t = CpuidResolver.resolve(CpuSpec.parse("host"), HOST, 2_500_000);
        assertEquals(HOST.get(1).withOutputs(0x306a9, 0x00020800, AVX | 1 | (1 << 31), SSE2 | 1), leaf(t, 1),
                "the host CPU's APIC id (5) is replaced by vCPU 0's");
        assertEquals(0, t.stream().filter(e -> e.function() == 0xb).findFirst().orElseThrow().edx());
        assertEquals(1 << 5, leaf(t, 7).ebx());
        assertEquals(0x40000010, leaf(t, 0x40000000).eax());
        assertEquals(0x4b4d564b, leaf(t, 0x40000000).ebx());
        assertEquals(2_500_000, leaf(t, 0x40000010).eax());
        assertEquals(7, t.size());
    }

    @Test
    void qemu64MasksToItsBaselineAndMinusNxClearsNx() {
        List<CpuidEntry> t = CpuidResolver.resolve(CpuSpec.parse("qemu64"), HOST, 1000);
        assertEquals(0, leaf(t, 1).ecx() & AVX, "AVX is not in qemu64");
        assertTrue((leaf(t, 1).ecx() & 1) != 0, "SSE3 kept");
        assertTrue((leaf(t, 1).ecx() & (1 << 31)) != 0, "hypervisor bit kept");
        assertTrue((leaf(t, 1).edx() & SSE2) != 0);
        assertEquals(0, leaf(t, 7).ebx());
        assertEquals(NX | LM | (1 << 11), leaf(t, 0x80000001).edx());
        List<CpuidEntry> noNx = CpuidResolver.resolve(CpuSpec.parse("qemu64,-nx,+pdpe1gb"), HOST, 1000);
        assertEquals(LM | PDPE1GB | (1 << 11), leaf(noNx, 0x80000001).edx());
    }

    @Test
    void addingAFeatureKvmLacksIsAClearError() {
        EngineException e = assertThrows(EngineException.class,
                () -> CpuidResolver.resolve(CpuSpec.parse("kvm64,+vmx"), HOST, 1000));
        assertEquals("-cpu kvm64,+vmx: this host's KVM does not support the feature 'vmx'; remove +vmx or use "
                + "another host", e.getMessage());
    }
}
