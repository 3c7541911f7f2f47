package org.jkvm.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.engine.CpuSpec;
import org.jkvm.engine.EngineException;
import org.jkvm.hypervisor.Accelerator;
import org.jkvm.hypervisor.x86.CpuidEntry;
import org.junit.jupiter.api.Test;

class CpuidResolverTest {
    private static final int NX = 1 << 20;
    private static final int LM = 1 << 29;
    private static final int PDPE1GB = 1 << 26;
    private static final int SYSCALL = 1 << 11;
    private static final int AVX = 1 << 28;
    private static final int SSE2 = 1 << 26;
    private static final int ALL = 0xffffffff;
    /** A made-up host: leaf 1 with AVX and SSE2, leaf 7 with AVX2, extended leaf with NX, LM, PDPE1GB. */
    private static final List<CpuidEntry> HOST = List.of(
            new CpuidEntry(0, 0, false, 0xd, 0x756e6547, 0x6c65746e, 0x49656e69),
            new CpuidEntry(1, 0, false, 0x306a9, 0x05020800, AVX | 1 | (1 << 31), SSE2 | 1),
            new CpuidEntry(0xb, 1, true, 1, 2, 0x201, 5),
            new CpuidEntry(7, 0, true, 0, 1 << 5, 0, 0),
            new CpuidEntry(0x40000000, 0, false, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d),
            new CpuidEntry(0x80000001, 0, false, 0, 0, 1, NX | LM | PDPE1GB | (1 << 11)));
    /** A backend that implements every feature bit (and AVX's XSAVE layout). */
    private static final List<CpuidEntry> EVERYTHING = List.of(
            new CpuidEntry(0, 0, false, 0x20, 1, 2, 3),
            new CpuidEntry(1, 0, false, 0x906ea, ALL, ALL, ALL),
            new CpuidEntry(7, 0, true, 0, ALL, ALL, ALL),
            new CpuidEntry(0xd, 0, true, 0x7, 0x340, 0x340, 0),
            new CpuidEntry(0xd, 1, true, 0xf, 0x3c0, 0, 0),
            new CpuidEntry(0xd, 2, true, 0x100, 0x240, 0, 0),
            new CpuidEntry(0x80000001, 0, false, 0, 0, ALL, ALL),
            new CpuidEntry(0x80000007, 0, false, 0, 0, 0, ALL),
            new CpuidEntry(0x80000008, 0, false, 0x3030, ALL, 0, 0),
            new CpuidEntry(0x8000000a, 0, false, 1, 0x8000, 0, 0x1bf),
            new CpuidEntry(0x40000001, 0, false, ALL, 0, 0, 0));
    /** CPUID 0x40000001 EAX: kvmclock (CLOCKSOURCE2) and its stable bit. */
    private static final int KVMCLOCK = 1 << 3 | 1 << 24;

    private static CpuidEntry leaf(List<CpuidEntry> t, int fn) {
        return t.get(CpuidResolver.indexOf(t, fn, 0));
    }

    private static List<CpuidEntry> resolve(String cpu, List<CpuidEntry> supported) {
        return CpuidResolver.resolve(CpuSpec.parse(cpu), supported, 2_500_000, Accelerator.KVM);
    }

    @Test
    void hostPassesThroughAndAddsTheTimingLeaves() {
        List<CpuidEntry> t = resolve("host", HOST);
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
    void qemu64IsQemusDefinitionWhateverTheBackendHas() {
        List<CpuidEntry> t = resolve("qemu64", EVERYTHING);
        assertEquals(new CpuidEntry(0, 0, false, 0xd, 0x68747541, 0x444d4163, 0x69746e65), leaf(t, 0),
                "AuthenticAMD, leaves to 0xd");
        assertEquals(new CpuidEntry(1, 0, false, 0x00060fb1, 0x800, 0x80002001, 0x078bfbfd), leaf(t, 1),
                "family 15 model 107 stepping 1; SSE3, CX16, hypervisor; the P6 baseline");
        assertEquals(new CpuidEntry(7, 0, true, 0, 0, 0, 0), leaf(t, 7));
        assertEquals(new CpuidEntry(0xd, 0, true, 0, 0, 0, 0), leaf(t, 0xd), "no XSAVE");
        assertEquals(new CpuidEntry(0x80000000, 0, false, 0x8000000a, 0x68747541, 0x444d4163, 0x69746e65),
                leaf(t, 0x80000000));
        assertEquals(new CpuidEntry(0x80000001, 0, false, 0x00060fb1, 0, 0x5, SYSCALL | NX | LM),
                leaf(t, 0x80000001), "LAHF_LM, SVM; SYSCALL, NX, LM");
        assertEquals("QEMU Virtual CPU version 2.5+", brand(t));
        assertEquals(new CpuidEntry(0x80000008, 0, false, 0x3028, 0, 0, 0), leaf(t, 0x80000008));
        assertEquals(EVERYTHING.get(9), leaf(t, 0x8000000a), "SVM's leaf is the backend's");
        assertEquals(new CpuidEntry(0x80000006, 0, false, 0, 0, 0, 0), leaf(t, 0x80000006));
        assertEquals(new CpuidEntry(0x40000001, 0, false, KVMCLOCK, 0, 0, 0), leaf(t, 0x40000001),
                "kvmclock and its stable bit, nothing else of KVM's paravirtual features");
        assertEquals(28, t.size(), "leaves 0-0xd, 0x80000000-0x8000000a and the three hypervisor leaves: " + t);
    }

    @Test
    void kvm64IsIntelsFamily15WithVme() {
        List<CpuidEntry> t = resolve("kvm64", EVERYTHING);
        assertEquals(new CpuidEntry(0, 0, false, 0xd, 0x756e6547, 0x6c65746e, 0x49656e69), leaf(t, 0),
                "GenuineIntel");
        assertEquals(new CpuidEntry(1, 0, false, 0x00000f61, 0x800, 0x80002001, 0x078bfbff), leaf(t, 1));
        assertEquals(new CpuidEntry(0x80000001, 0, false, 0x00000f61, 0, 0, SYSCALL | NX | LM), leaf(t, 0x80000001));
        assertEquals(0x80000008, leaf(t, 0x80000000).eax());
        assertEquals("Common KVM processor", brand(t));
        assertEquals(KVMCLOCK, leaf(t, 0x40000001).eax());
        assertEquals(26, t.size());
    }

    @Test
    void twoBackendsWithTheModelsFeaturesBuildTheSameTable() {
        List<CpuidEntry> narrow = new ArrayList<>();
        List<CpuidEntry> qemu64 = resolve("qemu64", EVERYTHING);
        // Only the model's own bits, and other vendors' leaves and sizes beside them.
        narrow.add(new CpuidEntry(0, 0, false, 0x10, 0x756e6547, 0x6c65746e, 0x49656e69));
        narrow.add(new CpuidEntry(1, 0, false, 0x306a9, 0x05020800, 0x80002001, 0x078bfbfd));
        narrow.add(new CpuidEntry(0x80000001, 0, false, 0, 0, 0x5, SYSCALL | NX | LM));
        narrow.add(EVERYTHING.get(9));
        narrow.add(new CpuidEntry(0x80000008, 0, false, 0x3030, 0x1000, 0, 0));
        narrow.add(new CpuidEntry(0x40000001, 0, false, 0x01007efb, 0, 0, 0));   // kvm_pvm's: async PF, PV EOI...
        assertEquals(qemu64, resolve("qemu64", narrow));
        narrow.set(narrow.size() - 1, new CpuidEntry(0x40000001, 0, false, KVMCLOCK, 0, 0, 0)); // the software CPU
        assertEquals(qemu64, resolve("qemu64", narrow));
    }

    @Test
    void featuresTheBackendLacksAreLeftOutAndMinusClears() {
        List<CpuidEntry> t = resolve("qemu64", HOST);
        assertEquals(0x80000001, leaf(t, 1).ecx(), "SSE3 (host has it) and the hypervisor bit; no CX16 here");
        assertEquals(SSE2 | 1, leaf(t, 1).edx(), "only the FPU and SSE2 of the baseline are on this made-up host");
        assertEquals(0x1, leaf(t, 0x80000001).ecx(), "LAHF_LM but not SVM");
        assertEquals(NX | LM | SYSCALL, leaf(t, 0x80000001).edx());
        List<CpuidEntry> noNx = resolve("qemu64,-nx,+pdpe1gb", HOST);
        assertEquals(LM | PDPE1GB | SYSCALL, leaf(noNx, 0x80000001).edx());
        assertEquals(0, leaf(resolve("qemu64,-hypervisor", HOST), 1).ecx() >>> 31);
        assertEquals(0, leaf(t, 0x40000001).eax(), "this made-up host's KVM has no kvmclock");
    }

    @Test
    void minusKvmclockTurnsItOffAsQemusDoes() {
        assertEquals(1 << 24, leaf(resolve("qemu64,-kvmclock", EVERYTHING), 0x40000001).eax(),
                "-kvmclock leaves the stable bit, which means nothing without a clock (QEMU's table is the same)");
        assertEquals(0, leaf(resolve("kvm64,-kvmclock,-kvmclock-stable-bit", EVERYTHING), 0x40000001).eax());
        List<CpuidEntry> kvm = new ArrayList<>(HOST);
        kvm.add(new CpuidEntry(0x40000001, 0, false, 0x01007efb, 0, 0, 0));
        assertEquals(0x01007efb, leaf(resolve("host", kvm), 0x40000001).eax(), "host passes KVM's leaf through");
        assertEquals(0x01007ef2, leaf(resolve("host,-kvmclock", kvm), 0x40000001).eax(),
                "and -kvmclock clears both MSR pairs (bits 0 and 3)");
    }

    @Test
    void xsaveAndAvxTakeTheBackendsLayout() {
        List<CpuidEntry> t = resolve("qemu64,+xsave,+avx", EVERYTHING);
        assertEquals(AVX | (1 << 26), leaf(t, 1).ecx() & (AVX | (1 << 26)));
        assertEquals(List.of(new CpuidEntry(0xd, 0, true, 0x7, 832, 832, 0), new CpuidEntry(0xd, 1, true, 0, 0, 0, 0),
                new CpuidEntry(0xd, 2, true, 0x100, 0x240, 0, 0)),
                t.stream().filter(e -> e.function() == 0xd).toList());
        assertEquals(new CpuidEntry(0xd, 0, true, 0x3, 576, 576, 0), leaf(resolve("qemu64,+xsave", EVERYTHING), 0xd));
    }

    @Test
    void addingAFeatureTheBackendLacksNamesTheBackend() {
        EngineException kvm = assertThrows(EngineException.class, () -> resolve("kvm64,+vmx", HOST));
        assertEquals("-cpu kvm64,+vmx: this host's KVM (-accel kvm) does not support the feature 'vmx'; remove +vmx "
                + "or use another host", kvm.getMessage());
        EngineException tcg = assertThrows(EngineException.class,
                () -> CpuidResolver.resolve(CpuSpec.parse("qemu64,+svm"), HOST, 1000, Accelerator.TCG));
        assertEquals("-cpu qemu64,+svm: the software CPU (-accel tcg) does not support the feature 'svm'; remove "
                + "+svm or run with -accel kvm on a host whose CPU has it", tcg.getMessage());
    }

    @Test
    void theTscFrequencyIsQemusOptionInHz() {
        CpuSpec s = CpuSpec.parse("qemu64,-nx,tsc-frequency=2500000000");
        assertEquals(2_500_000, s.tscKhz());
        assertEquals("qemu64,-nx,tsc-frequency=2500000000", s.toString());
        assertEquals("qemu64,-nx", s.modelAndFeatures(), "the fingerprint compares the resulting leaf instead");
        assertEquals(0, CpuSpec.parse("qemu64").tscKhz());
        for (String bad : new String[] {"2500000001", "999000", "200000000000", "fast", "-1", ""}) {
            EngineException e = assertThrows(EngineException.class,
                    () -> CpuSpec.parse("qemu64,tsc-frequency=" + bad));
            assertEquals("invalid tsc-frequency '" + bad + "' in -cpu qemu64,tsc-frequency=" + bad + "; give the "
                    + "guest TSC rate in Hz, a multiple of 1000 from 1000000 to 100000000000, e.g. "
                    + "tsc-frequency=2500000000", e.getMessage());
        }
    }

    /** The brand string of leaves 0x80000002-4, up to its first NUL. */
    private static String brand(List<CpuidEntry> t) {
        ByteBuffer b = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 3; i++) {
            CpuidEntry e = leaf(t, 0x80000002 + i);
            b.putInt(e.eax()).putInt(e.ebx()).putInt(e.ecx()).putInt(e.edx());
        }
        String s = new String(b.array(), StandardCharsets.US_ASCII);
        return s.substring(0, s.indexOf('\0'));
    }
}
