package org.jkvm.softcpu.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.jkvm.hypervisor.pc.LapicState;
import org.jkvm.hypervisor.x86.CpuidEntry;
import org.jkvm.memory.MmapGuestMemory;
import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.GuestFault;
import org.jkvm.softcpu.mem.PhysMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The local APIC's registers, priorities, timer and x2APIC rules (SDM vol. 3, chapter 10) on an injected clock. */
class LapicTest {
    private final long[] now = {7_000_000_000L};
    private final MmapGuestMemory memory = MmapGuestMemory.allocate(1 << 20);
    private final SoftIrqChip chip = new SoftIrqChip(() -> now[0], false, "test");
    private final Cpu cpu = new Cpu(0, new PhysMemory(memory));
    private int wakes;
    private final Lapic apic;

    LapicTest() {
        cpu.apicBase = 0xfee00900L;
        cpu.cpuid.set(List.of(new CpuidEntry(1, 0, false, 0, 0, 1 << 21 | 1 << 24, 1 << 9)));
        apic = chip.attach(cpu, () -> wakes++);
    }

    @AfterEach
    void close() {
        chip.close();
        memory.close();
    }

    private int read(int offset) {
        synchronized (chip.lock) {
            return apic.read(offset >> 4);
        }
    }

    private void write(int offset, int v) {
        synchronized (chip.lock) {
            apic.write(offset >> 4, v);
        }
    }

    private void advance(long nanos) {
        now[0] += nanos;
        chip.runTimers();
    }

    private boolean irr(int vector) {
        return (read(0x200 + (vector >> 5) * 16) >>> (vector & 31) & 1) != 0;
    }

    @Test
    void resetValues() {
        assertEquals(0, read(0x20), "APIC ID 0 in bits 31-24");
        assertEquals(0x00050014, read(0x30));
        assertEquals(0xff, read(0xf0), "software disabled, spurious vector 0xff");
        assertEquals(0xffffffff, read(0xe0), "flat model");
        assertEquals(0x10000, read(0x320));
        assertEquals(0x700, read(0x350), "the BSP's LINT0 is ExtINT, as KVM resets it");
        assertEquals(0x10000, read(0x360));
    }

    @Test
    void softwareDisabledApicMasksLvtAndDropsFixedInterrupts() {
        write(0x320, 0x40);
        assertEquals(0x10040, read(0x320), "LVT writes keep the mask while software disabled");
        synchronized (chip.lock) {
            assertFalse(apic.accept(0x40, false));
        }
        write(0xf0, 0x1ff);
        write(0x320, 0x40);
        assertEquals(0x40, read(0x320));
        write(0xf0, 0xff);
        assertEquals(0x10040, read(0x320), "clearing SVR bit 8 masks every LVT entry");
    }

    @Test
    void priorityArbitrationAndEoi() {
        write(0xf0, 0x1ff);
        synchronized (chip.lock) {
            apic.accept(0x51, false);
            apic.accept(0x32, false);
        }
        assertTrue(apic.pending());
        assertEquals(0x51, apic.acknowledge());
        assertEquals(0x50, read(0xa0), "PPR = ISRV class");
        assertEquals(-1, apic.acknowledge(), "0x32 is below the in-service class");
        write(0x80, 0x30);
        assertEquals(0x50, read(0xa0));
        write(0xb0, 0);
        assertEquals(0x30, read(0xa0), "after the EOI, PPR = TPR");
        assertEquals(-1, apic.acknowledge(), "0x32 is in TPR's class: held");
        write(0x80, 0x10);
        assertEquals(0x32, apic.acknowledge());
        assertFalse(apic.pending());
        assertEquals(0x30, read(0x90) & 0xf0, "APR: the in-service class above TPR");
    }

    @Test
    void illegalVectorsAndRegistersSetTheErrorStatus() {
        write(0xf0, 0x1ff);
        write(0x370, 0xfe);
        write(0x300, 1 << 18 | 3);
        write(0x280, 0);
        assertEquals(Lapic.ESR_SEND_ILLEGAL, read(0x280));
        assertTrue(irr(0xfe), "the LVT error interrupt");
        synchronized (chip.lock) {
            assertTrue(apic.write(0x28, 0));
            assertFalse(apic.write(0x3a, 1), "0x3a0 is no register");
        }
    }

    @Test
    void timerCountsAtTheBusClockOverTheDivider() {
        write(0xf0, 0x1ff);
        write(0x3e0, 0x3);   // divide by 16
        write(0x320, 0x40);
        write(0x380, 1000);
        advance(16 * 250);
        assertEquals(750, read(0x390));
        write(0x3e0, 0xb);   // divide by 1: the count goes on from 750
        advance(700);
        assertEquals(50, read(0x390));
        advance(50);
        assertTrue(irr(0x40));
        assertEquals(0, read(0x390), "a one-shot stops at 0");
    }

    @Test
    void periodicTimerReloadsAndHasAMinimumPeriod() {
        write(0xf0, 0x1ff);
        write(0x3e0, 0xb);
        write(0x320, 0x41 | 1 << 17);
        write(0x380, 1000);
        assertEquals(LapicTimer.MIN_PERIOD_NANOS, read(0x390) & 0xffffffffL, "1 us is raised to the minimum");
        write(0x380, 500_000);
        advance(500_000);
        assertTrue(irr(0x41));
        assertEquals(500_000, read(0x390));
        assertEquals(0x41, apic.acknowledge());
        write(0xb0, 0);
        advance(499_999);
        assertFalse(irr(0x41));
        advance(1);
        assertTrue(irr(0x41));
    }

    /** Takes the timer's vector as a guest does (acknowledge, EOI); whether it was requested. */
    private boolean tick(int vector) {
        if (!irr(vector)) {
            return false;
        }
        assertEquals(vector, apic.acknowledge());
        write(0xb0, 0);
        return true;
    }

    @Test
    void periodicTicksMissedWhileOneAwaitsItsEoiAreOwedAndComeOnePerEoi() {
        write(0xf0, 0x1ff);
        write(0x3e0, 0xb);
        write(0x320, 0x41 | 1 << 17);
        write(0x380, 500_000);
        advance(500_000);
        advance(500_000);
        advance(1_500_000);   // a late timer thread: three periods at once
        assertEquals(4, apic.timer.owedTicks, "five periods: one raised, four owed while interrupts were off");
        assertTrue(tick(0x41));
        assertTrue(tick(0x41));
        assertTrue(tick(0x41));
        assertTrue(tick(0x41));
        assertTrue(tick(0x41), "each EOI brings the next owed tick");
        assertFalse(tick(0x41));
        advance(500_000);
        advance(500_000);
        write(0x380, 500_000);
        assertEquals(0, apic.timer.owedTicks, "a write of the initial count drops the debt");
        assertTrue(tick(0x41));
        assertFalse(tick(0x41), "nothing owed after the reprogramming");
        write(0x320, 0x41 | 1 << 17 | Lapic.MASKED);
        advance(2_000_000);
        assertEquals(0, apic.timer.owedTicks, "a masked timer owes nothing: no EOI would come");
        assertFalse(irr(0x41));
    }

    @Test
    void tscDeadlineModeIgnoresTheInitialCountAndEntersAndLeavesDisarmed() {
        write(0xf0, 0x1ff);
        write(0x320, 0x42 | 2 << 17);
        write(0x380, 1000);
        assertEquals(0, read(0x380), "the initial count is ignored in TSC-deadline mode");
        long deadline = cpu.tsc.read() + cpu.tsc.khz();   // 1 ms of TSC ahead
        apic.writeMsr(cpu, 0x6e0, deadline);
        assertEquals(deadline, apic.readMsr(cpu, 0x6e0));
        advance(1_000_000);
        assertTrue(irr(0x42));
        assertEquals(0, apic.readMsr(cpu, 0x6e0), "the MSR clears when the timer fires");
        apic.writeMsr(cpu, 0x6e0, deadline + (1L << 40));
        write(0x320, 0x42);
        assertEquals(0, apic.readMsr(cpu, 0x6e0), "leaving TSC-deadline mode disarms");
        apic.writeMsr(cpu, 0x6e0, 5);
        assertEquals(0, apic.readMsr(cpu, 0x6e0), "outside TSC-deadline mode the write is ignored");
    }

    @Test
    void x2apicMsrsAndTheirFaults() {
        assertThrows(GuestFault.class, () -> apic.readMsr(cpu, 0x802), "x2APIC MSRs need x2APIC mode");
        apic.writeApicBase(cpu, 0xfee00d00L);
        assertEquals(0xfee00d00L, cpu.apicBase);
        assertEquals(-1, apic.mmioPage(), "no MMIO in x2APIC mode");
        assertEquals(0, apic.readMsr(cpu, 0x802));
        assertEquals(1, apic.readMsr(cpu, 0x80d), "LDR: cluster 0, bit 0");
        apic.writeMsr(cpu, 0x80f, 0x1ff);
        apic.writeMsr(cpu, 0x830, 0x12L << 32 | 0x4060);
        assertEquals(0x12L << 32 | 0x4060, apic.readMsr(cpu, 0x830));
        apic.writeMsr(cpu, 0x83f, 0x61);
        assertTrue(irr(0x61), "SELF IPI");
        assertThrows(GuestFault.class, () -> apic.writeMsr(cpu, 0x80b, 1), "EOI with a non-zero value");
        assertThrows(GuestFault.class, () -> apic.readMsr(cpu, 0x80b), "EOI is write-only");
        assertThrows(GuestFault.class, () -> apic.readMsr(cpu, 0x80e), "no DFR in x2APIC mode");
        assertThrows(GuestFault.class, () -> apic.writeMsr(cpu, 0x802, 0), "the ID is read-only");
        assertThrows(GuestFault.class, () -> apic.writeMsr(cpu, 0x808, 1L << 32), "upper half must be 0");
        assertThrows(GuestFault.class, () -> apic.writeApicBase(cpu, 0xfee00900L), "x2APIC to xAPIC");
        apic.writeApicBase(cpu, 0xfee00100L);
        assertThrows(GuestFault.class, () -> apic.writeApicBase(cpu, 0xfee00d00L), "disabled to x2APIC");
        apic.writeApicBase(cpu, 0xfee00900L);
        assertEquals(0xff, read(0xf0), "disabling reset the APIC");
        assertThrows(GuestFault.class, () -> apic.writeApicBase(cpu, 0xfee00a00L), "reserved bit 9");
        apic.writeApicBase(cpu, 0xfed00800L);
        assertEquals(0xfed00900L, cpu.apicBase, "the BSP bit is read-only");
        assertEquals(0xfed00000L, apic.mmioPage());
    }

    @Test
    void picReachesTheCpuThroughLint0() {
        chip.pioWrite(0x20, 0x11);
        chip.pioWrite(0x21, 0x30);
        chip.pioWrite(0x21, 0x04);
        chip.pioWrite(0x21, 0x01);
        chip.setIrq(1, true);
        assertTrue(apic.pending(), "ExtINT on LINT0 even with the APIC software disabled");
        assertEquals(0x31, apic.acknowledge());
        chip.pioWrite(0x20, 0x20);
        chip.setIrq(1, false);
        write(0x350, 0x10700);
        chip.setIrq(1, true);
        assertFalse(apic.pending(), "masked LINT0");
        apic.syncBase(0xfee00000L);
        assertTrue(apic.pending(), "a globally disabled APIC passes INTR straight to the CPU");
        assertEquals(0x31, apic.acknowledge());
    }

    @Test
    void handBuiltStateAsKvmReportsIt() {
        // Software enabled, TPR 0x20, vector 0x35 in service and level (TMR), 0x61 requested, a periodic timer at
        // vector 0xec with divide 4 and 40000 of 100000 counts left.
        byte[] page = new byte[LapicState.SIZE];
        put(page, 0x20, 0);
        put(page, 0x80, 0x20);
        put(page, 0xf0, 0x1ff);
        put(page, 0xe0, 0xffffffff);
        put(page, 0x100 + 16, 1 << (0x35 - 32));
        put(page, 0x180 + 16, 1 << (0x35 - 32));
        put(page, 0x200 + 48, 1 << (0x61 - 96));
        put(page, 0x320, 0xec | 1 << 17);
        put(page, 0x380, 100_000);
        put(page, 0x390, 40_000);
        put(page, 0x3e0, 0x1);
        for (int lvt = 0x330; lvt <= 0x370; lvt += 0x10) {
            put(page, lvt, 0x10000);
        }
        apic.restore(new LapicState(page));
        assertEquals(0x30, read(0xa0), "PPR from the in-service 0x35");
        assertEquals(0x61, apic.acknowledge());
        write(0xb0, 0);
        assertEquals(1 << (0x35 - 32), read(0x110), "the EOI ended 0x61, 0x35 is still in service");
        assertEquals(40_000, read(0x390));
        advance(4L * 40_000);
        assertTrue(irr(0xec), "the timer fires after the saved current count");
        assertEquals(100_000, read(0x390));
        LapicState s = apic.save();
        assertEquals(0x1ff, s.register(LapicState.SVR));
        assertEquals(100_000, s.register(LapicState.TIMER_CURRENT));
    }

    private static void put(byte[] page, int offset, int v) {
        for (int k = 0; k < 4; k++) {
            page[offset + k] = (byte) (v >>> (8 * k));
        }
    }
}
