package org.jkvm.engine.vcpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

import org.jkvm.hypervisor.x86.ActivityState;
import org.jkvm.hypervisor.x86.CpuState;
import org.jkvm.hypervisor.x86.DebugRegisters;
import org.jkvm.hypervisor.x86.DescriptorTable;
import org.jkvm.hypervisor.x86.Msr;
import org.jkvm.hypervisor.x86.PendingEvents;
import org.jkvm.hypervisor.x86.PendingEvents.ExceptionEvent;
import org.jkvm.hypervisor.x86.Registers;
import org.jkvm.hypervisor.x86.SegmentRegister;
import org.jkvm.hypervisor.x86.SystemRegisters;
import org.jkvm.hypervisor.x86.XsaveArea;
import org.jkvm.vmstate.StateReader;
import org.jkvm.vmstate.StateWriter;
import org.jkvm.vmstate.VmStateException;
import org.junit.jupiter.api.Test;

/**
 * The golden files of the {@code cpu} section. {@code state/v1/cpu.bin} was written by the version-1 encoder
 * (jkvm's VcpuState of KVM structures, before the seam) from a fixed synthetic state: long mode, #PF injected
 * with error code 2, STI shadow, NMI pending and masked, an XSAVE area with x87, SSE and AVX state, nine MSRs.
 * {@code state/v2/cpu.bin} is that state in the architectural encoding. Both must load forever; the writer must
 * reproduce v2 byte for byte.
 */
class CpuStateGoldenTest {
    /** The state of the v1 golden file, as architectural records. */
    static final CpuState EXPECTED = expected();

    static CpuState expected() {
        Registers regs = new Registers(0x1111111111111111L, 0x2222222222222222L, 0x3333333333333333L,
                0x4444444444444444L, 0x5555555555555555L, 0x6666666666666666L, 0x7fffffffe000L, 0x7fffffffe100L, 8, 9,
                10, 11, 12, 13, 14, 15, 0x100123L, 0x246L);
        SegmentRegister code = SegmentRegister.code64(0x08);
        SegmentRegister data = new SegmentRegister(0x10, 0, 0xffffffff, 3, true, 0, true, false, false, true, true,
                false);
        SegmentRegister fs = new SegmentRegister(0, 0x7f0000001000L, 0xffffffff, 3, true, 0, true, false, false,
                true, true, false);
        SegmentRegister gs = new SegmentRegister(0, 0xffff888000000000L, 0, 0, false, 0, false, false, false, false,
                false, true);
        SegmentRegister tr = new SegmentRegister(0x18, 0x2000, 0x67, 11, false, 0, true, false, false, false, false,
                false);
        SegmentRegister ldt = new SegmentRegister(0, 0, 0xffff, 2, false, 0, true, false, false, false, false, false);
        SystemRegisters sys = new SystemRegisters(code, data, data, fs, gs, data, tr, ldt,
                new DescriptorTable(0x500, 0x1f), new DescriptorTable(0x3000, 0xfff), 0x80050033L, 0x7f00deadb000L,
                0x1000, 0x406b0, 0, 0xd01, 0xfee00900L);
        List<Msr> msrs = List.of(new Msr(0x10, 123456789012L), new Msr(0xc0000081, 0x0023001000000000L),
                new Msr(0xc0000082, 0xffffffff81800000L), new Msr(0xc0000084, 0x47700),
                new Msr(0xc0000102, 0xffff888007a00000L), new Msr(0x174, 0x10), new Msr(0x277, 0x0007040600070406L),
                new Msr(0x1a0, 1), new Msr(0x4b564d00, 0x5000));
        PendingEvents events = new PendingEvents(new ExceptionEvent(14, true, true, 2, false, 0), -1, false, -1, true,
                false, true, true, false);
        return new CpuState(regs, sys, new XsaveArea(xsave()), 7, msrs, events, ActivityState.ACTIVE,
                new DebugRegisters(0x1000, 0x2000, 0, 0, 0xffff0ff0L, 0x403));
    }

    /** The XSAVE area of the golden state: FCW, FSW, FTW, FOP, FIP, FDP, MXCSR, ST0, XMM0, YMM0's upper half. */
    static byte[] xsave() {
        byte[] xs = new byte[4096];
        ByteBuffer x = ByteBuffer.wrap(xs).order(ByteOrder.LITTLE_ENDIAN);
        x.putShort(0, (short) 0x37f).putShort(2, (short) 0x3800).put(4, (byte) 0x80).putShort(6, (short) 0x5d9)
                .putLong(8, 0x100050L).putLong(16, 0x200000L).putInt(24, 0x1fa0).putInt(28, 0x2ffff);
        for (int i = 0; i < 10; i++) {
            xs[32 + i] = (byte) (0xa0 + i);
        }
        for (int i = 0; i < 16; i++) {
            xs[160 + i] = (byte) (0x10 + i);
            xs[576 + i] = (byte) (0x30 + i);
        }
        x.putLong(512, 7);
        return xs;
    }

    static byte[] golden(String path) throws Exception {
        try (InputStream in = CpuStateGoldenTest.class.getResourceAsStream("/state/" + path)) {
            assertNotNull(in, "golden file state/" + path + " is missing");
            return in.readAllBytes();
        }
    }

    private static CpuState v1(byte[] payload) {
        StateReader r = new StateReader(payload, "cpu#0");
        CpuState s = CpuStateV1.decode(r);
        r.expectEnd();
        return s;
    }

    private static CpuState v2(byte[] payload) {
        StateReader r = new StateReader(payload, "cpu#0");
        CpuState s = CpuStateCodec.decode(r);
        r.expectEnd();
        return s;
    }

    @Test
    void version1LoadsAsTheArchitecturalState() throws Exception {
        assertEquals(EXPECTED, v1(golden("v1/cpu.bin")));
    }

    @Test
    void version2LoadsAndTheWriterReproducesIt() throws Exception {
        byte[] bytes = golden("v2/cpu.bin");
        assertEquals(EXPECTED, v2(bytes));
        StateWriter w = new StateWriter();
        CpuStateCodec.encode(EXPECTED, w);
        assertArrayEquals(bytes, w.toByteArray());
    }

    // Offsets in v1/cpu.bin: regs blob 0-147, sregs blob 148-443 (its interrupt bitmap 412-443), fpu blob
    // 444-863, xsave blob 864-4967 (u32 length at 868, kvm_xsave 872-4967), xcrs 4968-4991, MSRs 4992-5103,
    // events blob 5104-5171 (kvm_vcpu_events 5108-5171), MP state 5172-5175, debug registers 5176-5235.

    @Test
    void version1QueuedInterruptFromTheSregsBitmapAndHaltedMpState() throws Exception {
        byte[] b = golden("v1/cpu.bin");
        ByteBuffer.wrap(b).putLong(412, 1L << 0x30).putInt(5172, 3);
        CpuState s = v1(b);
        assertEquals(0x30, s.events().injectedInterrupt());
        assertEquals(false, s.events().injectedSoft());
        assertEquals(ActivityState.HALTED, s.activity());
        ByteBuffer.wrap(b).putInt(5172, 7);
        VmStateException e = assertThrows(VmStateException.class, () -> v1(b));
        assertTrue(e.getMessage().contains("vCPU MP state 7 is not an x86 KVM_MP_STATE value"), e.getMessage());
    }

    @Test
    void version1WithAnEmptyXsaveLegacyRegionTakesTheFpuFromKvmFpu() throws Exception {
        byte[] b = golden("v1/cpu.bin");
        Arrays.fill(b, 872, 872 + 512, (byte) 0);
        byte[] want = xsave();
        ByteBuffer.wrap(want).order(ByteOrder.LITTLE_ENDIAN).putInt(28, 0xffff); // kvm_fpu has no MXCSR_MASK
        assertEquals(new XsaveArea(want), v1(b).fpu());
    }

    @Test
    void corruptVersion1IsOneSentence() throws Exception {
        byte[] b = golden("v1/cpu.bin");
        ByteBuffer.wrap(b).putInt(148, 0x7fffffff); // the sregs blob claims 2 GiB
        VmStateException e = assertThrows(VmStateException.class, () -> v1(b));
        assertTrue(e.getMessage().startsWith("state section cpu#0 is malformed: a byte string at offset 148 claims "
                + "2147483647 bytes"), e.getMessage());
        byte[] msrs = golden("v1/cpu.bin");
        ByteBuffer.wrap(msrs).putInt(4992, 100_000);
        e = assertThrows(VmStateException.class, () -> v1(msrs));
        assertTrue(e.getMessage().contains("lists 100000 MSRs, more than 1024"), e.getMessage());
    }

    private static byte[] v2Golden() throws Exception {
        return golden("v2/cpu.bin");
    }

    private static void assertCorrupt(byte[] payload, String expected) {
        VmStateException e = assertThrows(VmStateException.class, () -> v2(payload));
        assertTrue(e.getMessage().startsWith("state section cpu#0 is malformed: "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    // Offsets in v2/cpu.bin: registers 0-143, segments 144-287 (18 bytes each, attributes at +14), tables
    // 288-307, control 308-363, XCR0 364, XSAVE blob 372 (length) and 376-4471, MSRs 4472 (count) to 4583,
    // exception 4584-4600, interrupts 4601-4609, NMI/shadows 4610-4614, activity 4615, debug 4616-4663.

    @Test
    void corruptVersion2IsOneSentenceNamingTheValue() throws Exception {
        byte[] b = v2Golden();
        assertEquals(4664, b.length);
        assertCorrupt(Arrays.copyOf(b, b.length - 1), "needed u64 at offset 4656");
        byte[] extra = Arrays.copyOf(b, b.length + 1);
        assertCorrupt(extra, "1 bytes are left unread after offset 4664");
        byte[] ar = b.clone();
        ar[144 + 14 + 1] = 0x02; // attributes bit 17: undefined
        assertCorrupt(ar, "segment register 0 has attributes 0x2a09b with undefined bits set");
        byte[] msrs = b.clone();
        ByteBuffer.wrap(msrs).putInt(4472, 0x7fffffff);
        assertCorrupt(msrs, "lists 2147483647 MSRs, more than 1024");
        byte[] xsave = b.clone();
        ByteBuffer.wrap(xsave).putInt(372, 1 << 30);
        assertCorrupt(xsave, "claims 1073741824 bytes, more than the 1048576 allowed");
        byte[] activity = b.clone();
        activity[4615] = 9;
        assertCorrupt(activity, "vCPU activity state 9 is not 0-3");
        byte[] vector = b.clone();
        vector[4585] = 40;
        assertCorrupt(vector, "has vector 40, not 0-31");
        byte[] bool = b.clone();
        bool[4610] = 2;
        assertCorrupt(bool, "a boolean at offset 4610 is 2, not 0 or 1");
        byte[] interrupt = b.clone();
        ByteBuffer.wrap(interrupt).putInt(4601, 256);
        assertCorrupt(interrupt, "the injected interrupt at offset 4601 is 0x100");
    }

    @Test
    void everyFieldOfTheStateSurvivesTheEncoding() {
        CpuState s = new CpuState(new Registers(-1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, Long.MIN_VALUE,
                0xfff0, 2), SystemRegisters.reset(), XsaveArea.reset(576), 1, List.of(),
                new PendingEvents(new ExceptionEvent(1, false, false, 0, true, 0x4001), 0x80, true, 0xff, false, true,
                        false, false, true), ActivityState.WAIT_FOR_SIPI, DebugRegisters.reset());
        StateWriter w = new StateWriter();
        CpuStateCodec.encode(s, w);
        assertEquals(s, v2(w.toByteArray()));
    }
}
