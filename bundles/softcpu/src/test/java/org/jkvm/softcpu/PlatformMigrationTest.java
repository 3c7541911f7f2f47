package org.jkvm.softcpu;

import static org.jkvm.softcpu.Guest64.epilogue;
import static org.jkvm.softcpu.Guest64.gate;
import static org.jkvm.softcpu.Guest64.prologue;
import static org.jkvm.softcpu.Guest64.reportTsc;
import static org.jkvm.softcpu.Guest64.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;

import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.hypervisor.pc.IoapicState;
import org.jkvm.hypervisor.pc.LapicState;
import org.jkvm.hypervisor.pc.PicState;
import org.jkvm.hypervisor.pc.PitState;
import org.jkvm.hypervisor.x86.CpuState;
import org.junit.jupiter.api.Test;

/**
 * A guest saved with a timer armed and restored into a new VM: the timer fires on the destination, after the
 * restore, no earlier than its programmed time in guest time (the TSC the guest reads, which the restore carries).
 * Covers the local APIC's one-shot and TSC-deadline timers (restored in both orders of vCPU state and APIC) and the
 * PIT's channel 0 through the PIC. As the engine does, guest time is paused on the source before the save and on
 * the destination before the restore, and resumed before the destination runs, so the TSC and the timers are saved
 * and restored at one instant each (PausedGuestTimeTest holds the saving thread up to show it).
 */
class PlatformMigrationTest {
    /** The guest is stopped (kicked) once it has reported the TSC at {@code port + 1}. */
    private static void kickAfter(TestVm t, int port) {
        t.ops.onOut = (p, n) -> {
            if (p == port + 1) {
                t.vcpu.kick();
            }
        };
    }

    /** Moves the guest from {@code a} to {@code b}: RAM, platform, vCPU; {@code lapicFirst} picks the order. */
    private static void migrate(TestVm a, TestVm b, boolean lapicFirst) {
        a.vm.pauseGuestTime();
        b.vm.pauseGuestTime();
        ByteBuffer ram = ByteBuffer.allocate((int) a.memory.totalBytes());
        a.memory.read(0, ram);
        ram.flip();
        b.memory.write(0, ram);
        CpuState cpu = a.vcpu.saveState();
        LapicState lapic = a.vcpu.saveLapic();
        PicState pic = a.chip.savePic();
        IoapicState ioapic = a.chip.saveIoapic();
        PitState pit = a.chip.savePit();
        a.close();
        b.chip.restorePic(pic);
        b.chip.restoreIoapic(ioapic);
        b.chip.restorePit(pit);
        if (lapicFirst) {
            b.vcpu.restoreLapic(lapic);
            b.vcpu.restoreState(cpu);
        } else {
            b.vcpu.restoreState(cpu);
            b.vcpu.restoreLapic(lapic);
        }
        b.vm.resumeGuestTime();
    }

    /**
     * How early a timer may fire against the restored TSC: by the rounding of a count restored in its own clock's
     * units, at most one PIT clock (838 ns). The TSC and the timers are saved and restored at one paused instant of
     * guest time each, so no host delay between the parts of the save or the restore counts; before guest time was
     * paused, those delays (tens of ms on a loaded host) made the PIT's ticks come up to a period early.
     */
    private static long saveSkew(TestVm t) {
        return Guest64.tscTicks(t, 1_000) + 1;
    }

    private static final String TIMER_HANDLER = "timer:\n inc %ebx\n movl $0, 0xb0(%rsi)\n iretq\n";

    @Test
    void armedOneShotTimerFiresAfterTheRestoreAtItsTime() {
        String src = prologue() + gate(0x40, "timer") + " movl $0x1ff, 0xf0(%rsi)\n movl $0xb, 0x3e0(%rsi)\n"
                + " movl $0x40, 0x320(%rsi)\n" + reportTsc(0x90) + " movl $1000000000, 0x380(%rsi)\n out %al, $0x95\n"
                + waitFor(1)
                + reportTsc(0x92) + epilogue() + TIMER_HANDLER;
        TestVm a = new TestVm(16 << 20, true);
        try (TestVm b = new TestVm(16 << 20, true)) {
            Guest64.start(a, src);
            kickAfter(a, 0x94);
            assertEquals(VcpuExit.INTERRUPTED, a.run());
            long armed = Guest64.tsc(a, 0x90, 0);
            int current = a.vcpu.saveLapic().register(LapicState.TIMER_CURRENT);
            assertTrue(current > 0 && current <= 1_000_000_000, "the timer is armed at the save: " + current);
            migrate(a, b, false);
            int after = b.vcpu.saveLapic().register(LapicState.TIMER_CURRENT);
            assertTrue(after > 0 && after <= current, "the count goes on from " + current + ": " + after);
            assertEquals(VcpuExit.INTERRUPTED, b.run());
            long fired = Guest64.tsc(b, 0x92, 0);
            assertTrue(fired - armed >= Guest64.tscTicks(b, 1_000_000_000) - saveSkew(b), "the 1 s timer fired "
                    + (fired - armed) + " TSC ticks after it was armed");
        } finally {
            a.close();
        }
    }

    @Test
    void armedTscDeadlineFiresAfterTheRestoreWhateverTheRestoreOrder() {
        for (boolean lapicFirst : new boolean[] {true, false}) {
            TestVm a = new TestVm(16 << 20, true);
            try (TestVm b = new TestVm(16 << 20, true)) {
                long delta = Guest64.tscTicks(a, 1_000_000_000);
                String src = prologue() + gate(0x42, "timer") + " movl $0x1ff, 0xf0(%rsi)\n"
                        + " movl $(0x42 | 2 << 17), 0x320(%rsi)\n rdtsc\n shl $32, %rdx\n or %rdx, %rax\n"
                        + " mov $" + delta + ", %rcx\n add %rcx, %rax\n mov %rax, %rdx\n shr $32, %rdx\n"
                        + " mov $0x6e0, %ecx\n wrmsr\n"
                        + " out %eax, $0x90\n mov %edx, %eax\n out %eax, $0x91\n" + waitFor(1) + reportTsc(0x92)
                        + epilogue() + TIMER_HANDLER;
                Guest64.start(a, src);
                kickAfter(a, 0x90);
                assertEquals(VcpuExit.INTERRUPTED, a.run());
                long deadline = Guest64.tsc(a, 0x90, 0);
                migrate(a, b, lapicFirst);
                assertEquals(VcpuExit.INTERRUPTED, b.run());
                long fired = Guest64.tsc(b, 0x92, 0);
                assertTrue(fired >= deadline, "deadline " + deadline + " fired at " + fired
                        + (lapicFirst ? " (APIC restored first)" : " (vCPU restored first)"));
            } finally {
                a.close();
            }
        }
    }

    @Test
    void pitTicksGoOnAfterTheRestoreAtTheirPeriod() {
        // Real mode: PIT channel 0 in mode 2 with the longest period (65536 clocks, 54.9 ms), IRQ 0 through the PIC;
        // the guest is moved after its second tick and counts four.
        String src = ".code16\nstart:\n cli\n movw $(tick - start + 0x1000), 0x80\n movw $0, 0x82\n"
                + " mov $0x11, %al\n out %al, $0x20\n mov $0x20, %al\n out %al, $0x21\n mov $4, %al\n out %al, $0x21\n"
                + " mov $1, %al\n out %al, $0x21\n mov $0xfe, %al\n out %al, $0x21\n mov $0xff, %al\n out %al, $0xa1\n"
                + " xor %bx, %bx\n rdtsc\n out %eax, $0x90\n mov %edx, %eax\n out %eax, $0x91\n"
                + " mov $0x34, %al\n out %al, $0x43\n xor %al, %al\n out %al, $0x40\n out %al, $0x40\n"
                + " sti\n1: hlt\n cmp $4, %bx\n jb 1b\n cli\n"
                + " rdtsc\n out %eax, $0x92\n mov %edx, %eax\n out %eax, $0x93\n out %al, $0xf4\n hlt\n"
                + "tick:\n inc %bx\n mov %bx, %ax\n out %al, $0x95\n mov $0x20, %al\n out %al, $0x20\n iret\n";
        TestVm a = new TestVm(1 << 20, true);
        try (TestVm b = new TestVm(1 << 20, true)) {
            a.load(0x1000, Asm.assemble(src));
            a.realMode(0x1000);
            kickAfter(a, 0x94);
            assertEquals(VcpuExit.INTERRUPTED, a.run());
            while (a.ops.valuesAt(0x95).size() < 2) {
                assertEquals(VcpuExit.INTERRUPTED, a.run());
            }
            long start = Guest64.tsc(a, 0x90, 0);
            migrate(a, b, false);
            assertEquals(VcpuExit.INTERRUPTED, b.run());
            // A tick owed while the timer thread was late may follow the fourth back to back (reinjection).
            java.util.List<Long> ticks = b.ops.valuesAt(0x95);
            assertEquals(java.util.List.of(3L, 4L), ticks.subList(0, 2));
            long n = ticks.get(ticks.size() - 1);
            long end = Guest64.tsc(b, 0x92, 0);
            assertTrue(end - start >= PlatformRealModeTest.tscFor(b, n, 0x10000) - saveSkew(b), n + " ticks of 65536 "
                    + "clocks came "
                    + (end - start) + " TSC ticks after the start");
        }
    }
}
