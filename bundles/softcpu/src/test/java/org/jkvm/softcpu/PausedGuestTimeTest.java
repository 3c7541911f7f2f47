package org.jkvm.softcpu;

import static org.jkvm.softcpu.Guest64.epilogue;
import static org.jkvm.softcpu.Guest64.gate;
import static org.jkvm.softcpu.Guest64.prologue;
import static org.jkvm.softcpu.Guest64.reportTsc;
import static org.jkvm.softcpu.Guest64.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.hypervisor.pc.IoapicState;
import org.jkvm.hypervisor.pc.LapicState;
import org.jkvm.hypervisor.pc.PicState;
import org.jkvm.hypervisor.pc.PitState;
import org.jkvm.hypervisor.x86.CpuState;
import org.jkvm.hypervisor.x86.Msr;
import org.jkvm.softcpu.sys.KvmClock;
import org.junit.jupiter.api.Test;

/**
 * Guest time stops at one instant when the VM pauses: the TSC, the local APIC timer, the PIT and the kvmclock saved
 * while paused are one instant of guest time however long the saving thread is held up between two of them, a
 * restore held up the same way resumes them as one, and a stop/cont pause of any length is no guest time. The VMs
 * run on host clocks the test moves by hand (a thread held up between saving two devices, a long pause), so every
 * number is exact. Before guest time was paused, the TSC and the timers were each read from the host clock at their
 * own save: the skew between them is what made PlatformMigrationTest's PIT check fail one period short at load 17.
 * Also: each vCPU has its own kvmclock MSR and structure, and after a restored clock and a pause all of them agree
 * and say the guest was paused.
 */
class PausedGuestTimeTest {
    private static final long MS = 1_000_000L;
    /** Where the guest's kvmclock structure is. */
    private static final long PVCLOCK = 0x5000;
    /** The one-shot APIC timer: 100 ms at the 1 GHz bus clock, divided by 1. */
    private static final int TIMER_NS = 100_000_000;
    /**
     * Enables kvmclock, masks the PICs, starts PIT channel 0 (mode 2, 65536 clocks), arms the APIC one-shot, reports
     * the TSC at 0x90 and asks to be stopped (port 0x95); after the timer's interrupt it reports the TSC at 0x92.
     */
    private static final String GUEST = prologue() + gate(0x40, "timer")
            + " mov $" + KvmClock.MSR_SYSTEM_TIME + ", %ecx\n mov $" + (PVCLOCK | 1) + ", %eax\n"
            + " xor %edx, %edx\n wrmsr\n"
            + " mov $0xff, %al\n out %al, $0x21\n out %al, $0xa1\n"
            + " mov $0x34, %al\n out %al, $0x43\n xor %al, %al\n out %al, $0x40\n out %al, $0x40\n"
            + " movl $0x1ff, 0xf0(%rsi)\n movl $0xb, 0x3e0(%rsi)\n movl $0x40, 0x320(%rsi)\n"
            + reportTsc(0x90) + " movl $" + TIMER_NS + ", 0x380(%rsi)\n out %al, $0x95\n" + waitFor(1)
            + reportTsc(0x92) + epilogue() + "timer:\n inc %ebx\n movl $0, 0xb0(%rsi)\n iretq\n";

    /** What a save read of the guest's clocks. */
    private record Instant(long tsc, int apicCount, int pitCount, long kvmclockNs) {
    }

    /** The saved parts of a VM. */
    private record Saved(CpuState cpu, LapicState lapic, PicState pic, IoapicState ioapic, PitState pit, long clock) {
        static long tscOf(CpuState cpu) {
            return cpu.msrs().stream().filter(m -> m.index() == Msr.IA32_TSC).findFirst().orElseThrow().value();
        }

        Instant instant() {
            return new Instant(tscOf(cpu), lapic.register(LapicState.TIMER_CURRENT),
                    pit.channels().get(0).currentCount(), clock);
        }
    }

    /** Saves {@code t} part by part, its saving thread held up for {@code heldUpNs} of host time before each part. */
    private static Saved save(TestVm t, AtomicLong host, long heldUpNs) {
        CpuState cpu = t.vcpu.saveState();
        host.addAndGet(heldUpNs);
        LapicState lapic = t.vcpu.saveLapic();
        host.addAndGet(heldUpNs);
        PitState pit = t.chip.savePit();
        host.addAndGet(heldUpNs);
        PicState pic = t.chip.savePic();
        IoapicState ioapic = t.chip.saveIoapic();
        host.addAndGet(heldUpNs);
        return new Saved(cpu, lapic, pic, ioapic, pit, t.vm.kvmClockNanos());
    }

    /** Restores {@code s} into {@code t} part by part (the engine's order), held up the same way. */
    private static void restore(TestVm t, Saved s, AtomicLong host, long heldUpNs) {
        t.chip.restorePic(s.pic());
        t.chip.restoreIoapic(s.ioapic());
        host.addAndGet(heldUpNs);
        t.chip.restorePit(s.pit());
        host.addAndGet(heldUpNs);
        t.vcpu.restoreState(s.cpu());
        host.addAndGet(heldUpNs);
        t.vcpu.restoreLapic(s.lapic());
        host.addAndGet(heldUpNs);
        t.vm.setKvmClockNanos(s.clock());
    }

    /** Runs the guest until it asks to be stopped after arming its timer. */
    private static void runToTheArmedTimer(TestVm t) {
        t.ops.onOut = (p, n) -> {
            if (p == 0x95) {
                t.vcpu.kick();
            }
        };
        Guest64.start(t, GUEST);
        assertEquals(VcpuExit.INTERRUPTED, t.run());
        assertEquals(1, t.ops.valuesAt(0x95).size(), "stopped after arming the timer");
    }

    /** {@code got} TSC ticks are {@code want} but for the rounding of ns to ticks (one tick each way). */
    private static void assertTicks(long want, long got, String what) {
        assertTrue(Math.abs(got - want) <= 2, what + ": " + got + " TSC ticks, not " + want);
    }

    private static int pvclockFlags(TestVm t) {
        return t.memory.readByte(PVCLOCK + 29) & 0xff;
    }

    @Test
    void aSaveAndARestoreHeldUpBetweenTheirPartsAreOneInstantOfGuestTime() {
        AtomicLong hostA = new AtomicLong(1_000 * MS);
        AtomicLong hostB = new AtomicLong(77_000 * MS);
        try (TestVm a = new TestVm(16 << 20, true, hostA::get); TestVm b = new TestVm(16 << 20, true, hostB::get)) {
            runToTheArmedTimer(a);
            long armed = Guest64.tsc(a, 0x90, 0);
            a.vm.pauseGuestTime();
            Instant first = save(a, hostA, 30 * MS).instant();
            assertEquals(new Instant(armed, TIMER_NS, 0x10000, first.kvmclockNs()), first,
                    "at the pause, no guest time has passed since the guest armed its timer");
            hostA.addAndGet(5_000 * MS);
            Saved saved = save(a, hostA, 30 * MS);
            assertEquals(first, saved.instant(), "a second save after 5 s more of host time reads the same instant");

            ByteBuffer ram = ByteBuffer.allocate((int) a.memory.totalBytes());
            a.memory.read(0, ram);
            b.memory.write(0, ram.flip());
            b.vm.pauseGuestTime();
            restore(b, saved, hostB, 30 * MS);
            assertEquals(first, save(b, hostB, 30 * MS).instant(), "the destination resumes at the saved instant");

            b.vm.resumeGuestTime();
            hostB.addAndGet(TIMER_NS);
            assertEquals(VcpuExit.INTERRUPTED, b.run());
            long fired = Guest64.tsc(b, 0x92, 0);
            assertTicks(Guest64.tscTicks(b, TIMER_NS), fired - armed, "the 100 ms timer fired after 100 ms of "
                    + "guest time, none of it lost or gained in the held-up save and restore");
            assertEquals(KvmClock.PVCLOCK_TSC_STABLE_BIT | KvmClock.PVCLOCK_GUEST_STOPPED, pvclockFlags(b),
                    "the destination's kvmclock tells the guest it was paused");
        }
    }

    @Test
    void aStopAndContOfAnyLengthIsNoGuestTimeAndKvmclockSaysTheGuestWasPaused() {
        AtomicLong host = new AtomicLong(3_000 * MS);
        try (TestVm t = new TestVm(16 << 20, true, host::get)) {
            runToTheArmedTimer(t);
            assertEquals(KvmClock.PVCLOCK_TSC_STABLE_BIT, pvclockFlags(t), "not paused yet");
            int version = t.memory.readIntLE(PVCLOCK);
            t.vm.pauseGuestTime();
            Instant stopped = save(t, host, 10 * MS).instant();
            host.addAndGet(600_000 * MS);   // ten minutes in the stopped state
            t.vm.resumeGuestTime();
            t.vm.pauseGuestTime();
            assertEquals(stopped, save(t, host, 0).instant(), "the ten minutes were no guest time");
            t.vm.resumeGuestTime();
            host.addAndGet(TIMER_NS);
            assertEquals(VcpuExit.INTERRUPTED, t.run());
            long armed = Guest64.tsc(t, 0x90, 0);
            long fired = Guest64.tsc(t, 0x92, 0);
            assertTicks(Guest64.tscTicks(t, TIMER_NS), fired - armed, "the timer and the TSC went on together");
            assertEquals(KvmClock.PVCLOCK_TSC_STABLE_BIT | KvmClock.PVCLOCK_GUEST_STOPPED, pvclockFlags(t));
            int after = t.memory.readIntLE(PVCLOCK);
            assertTrue(after > version && after % 2 == 0, "rewritten before the vCPU ran on: version " + version
                    + " then " + after);
        }
    }

    @Test
    void thePauseFiresTheTicksAlreadyDueSoTheSavedStateHoldsThem() {
        AtomicLong host = new AtomicLong(2_000 * MS);
        try (TestVm t = new TestVm(16 << 20, true, host::get)) {
            runToTheArmedTimer(t);
            assertEquals(0, t.chip.savePic().master().irr() & 1, "no PIT tick yet");
            // 60 ms: one PIT period (54.9 ms) is past, and the timer thread, asleep in host time, has not seen it
            host.addAndGet(60 * MS);
            t.vm.pauseGuestTime();
            Saved s = save(t, host, 30 * MS);
            assertEquals(1, s.pic().master().irr() & 1, "the tick due before the pause is in the saved PIC");
            int clocks = (int) (5_075_000L * PitState.FREQUENCY_HZ / 1_000_000_000L);   // 5.075 ms since the tick
            int count = s.pit().channels().get(0).currentCount();
            assertTrue(Math.abs(0x10000 - clocks - count) <= 2, "the PIT counts on from its reload: " + count);
        }
    }

    /** Each vCPU's own structure at {@code gpa}: the guest's nanoseconds at {@code tsc} (the documented formula). */
    private static long structureNanos(TestVm t, long gpa, long tsc) {
        long ts = t.memory.readLongLE(gpa + 8);
        long mul = t.memory.readIntLE(gpa + 24) & 0xffffffffL;
        int shift = t.memory.readByte(gpa + 28);
        java.math.BigInteger d = java.math.BigInteger.valueOf(tsc - ts);
        d = shift < 0 ? d.shiftRight(-shift) : d.shiftLeft(shift);
        return t.memory.readLongLE(gpa + 16) + d.multiply(java.math.BigInteger.valueOf(mul)).shiftRight(32).longValue();
    }

    @Test
    void everyVcpuHasItsOwnKvmclockAndAllAgreeAfterARestoreAndAPause() {
        AtomicLong host = new AtomicLong(9_000 * MS);
        try (TestVm t = new TestVm(1 << 20, false, host::get)) {
            org.jkvm.hypervisor.HvVcpu second = t.vm.createVcpu(1, t.ops);
            try {
                t.load(0x1000, new byte[] {(byte) 0xf4});   // hlt
                t.realMode(0x1000);
                second.setSystemRegisters(t.vcpu.systemRegisters());
                second.setRegisters(t.vcpu.registers());
                host.addAndGet(1_000 * MS);
                t.vcpu.setMsrs(java.util.List.of(new Msr(KvmClock.MSR_SYSTEM_TIME, PVCLOCK | 1)));
                second.setMsrs(java.util.List.of(new Msr(KvmClock.MSR_SYSTEM_TIME, 0x6000 | 1)));
                t.vm.pauseGuestTime();
                long tsc = Saved.tscOf(t.vcpu.saveState());
                assertEquals(tsc, Saved.tscOf(second.saveState()), "the vCPUs' TSCs read the one guest time");
                t.vm.setKvmClockNanos(5_000 * MS);   // a restored clock, for every vCPU
                host.addAndGet(60_000 * MS);
                t.vm.resumeGuestTime();
                assertEquals(VcpuExit.HLT, t.vcpu.run());
                assertEquals(VcpuExit.HLT, second.run());
                assertEquals(5_000 * MS, structureNanos(t, PVCLOCK, tsc), "vCPU 0's structure at 0x5000");
                assertEquals(5_000 * MS, structureNanos(t, 0x6000, tsc), "vCPU 1's own structure at 0x6000");
                int stopped = KvmClock.PVCLOCK_TSC_STABLE_BIT | KvmClock.PVCLOCK_GUEST_STOPPED;
                assertEquals(stopped, pvclockFlags(t));
                assertEquals(stopped, t.memory.readByte(0x6000 + 29) & 0xff);
            } finally {
                second.close();
            }
        }
    }
}
