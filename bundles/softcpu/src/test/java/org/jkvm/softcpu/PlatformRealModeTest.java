package org.jkvm.softcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.hypervisor.pc.PitState;
import org.junit.jupiter.api.Test;

/**
 * Guests that use the 8259A and the 8254 the way a BIOS-era kernel does, in real mode with interrupts through the
 * IVT: the PIT's channel 0 in mode 2 ticks on IRQ 0, the guest counts the ticks in HLT, and they arrive no earlier
 * than the programmed period in guest time (the TSC). The local APIC is untouched (its reset LINT0 passes the PIC's
 * INTR as ExtINT).
 */
class PlatformRealModeTest {
    /** 1193 input clocks: a tick every 0.9998 ms. */
    static final int COUNT = 1193;

    /** Programs the master PIC (vector base 0x20, only IRQ 0 unmasked) and the PIT (mode 2, {@link #COUNT}). */
    static final String SETUP = ".code16\nstart:\n cli\n"
            + " movw $(tick - start + 0x1000), 0x80\n movw $0, 0x82\n"
            + " mov $0x11, %al\n out %al, $0x20\n mov $0x20, %al\n out %al, $0x21\n"
            + " mov $0x04, %al\n out %al, $0x21\n mov $0x01, %al\n out %al, $0x21\n"
            + " mov $0xfe, %al\n out %al, $0x21\n mov $0xff, %al\n out %al, $0xa1\n"
            + " rdtsc\n out %eax, $0x90\n mov %edx, %eax\n out %eax, $0x91\n"
            + " mov $0x34, %al\n out %al, $0x43\n mov $(" + COUNT + " & 0xff), %al\n out %al, $0x40\n"
            + " mov $(" + COUNT + " >> 8), %al\n out %al, $0x40\n xor %bx, %bx\n";

    /** Waits in HLT for {@code ticks} timer interrupts, then reports the TSC (0x92/0x93) and the count (0x94). */
    static String waitTicks(int ticks) {
        return " sti\n1: hlt\n cmp $" + ticks + ", %bx\n jb 1b\n cli\n"
                + " rdtsc\n out %eax, $0x92\n mov %edx, %eax\n out %eax, $0x93\n mov %bx, %ax\n out %ax, $0x94\n"
                + " out %al, $0xf4\n hlt\n"
                + "tick:\n inc %bx\n mov $0x20, %al\n out %al, $0x20\n iret\n";
    }

    static long tsc(TestVm t, int lo, int hi) {
        List<Long> l = t.ops.valuesAt(lo);
        List<Long> h = t.ops.valuesAt(hi);
        return h.get(h.size() - 1) << 32 | l.get(l.size() - 1);
    }

    /** The TSC ticks {@code periods} PIT periods of {@code count} clocks take, rounded down. */
    static long tscFor(TestVm t, long periods, long count) {
        return periods * count * t.vcpu.tscKhz() * 1000L / PitState.FREQUENCY_HZ;
    }

    @Test
    void pitTicksReachTheGuestThroughThePicAndTheIvt() {
        try (TestVm t = new TestVm(1 << 20, true)) {
            t.load(0x1000, Asm.assemble(SETUP + waitTicks(10)));
            t.realMode(0x1000);
            assertEquals(VcpuExit.INTERRUPTED, t.run());
            // Ticks owed while the timer thread was late come back to back (reinjection), so the guest may count
            // a few more than it waits for; none comes before its period.
            List<Long> counted = t.ops.valuesAt(0x94);
            assertEquals(1, counted.size());
            long n = counted.get(0);
            assertTrue(n >= 10, "counted " + n);
            long elapsed = tsc(t, 0x92, 0x93) - tsc(t, 0x90, 0x91);
            assertTrue(elapsed >= tscFor(t, n, COUNT) - 1, n + " ticks came after " + elapsed + " TSC ticks, less "
                    + "than " + n + " periods (" + tscFor(t, n, COUNT) + ")");
        }
    }
}
