package org.jkvm.softcpu;

import static org.jkvm.softcpu.Guest64.epilogue;
import static org.jkvm.softcpu.Guest64.gate;
import static org.jkvm.softcpu.Guest64.prologue;
import static org.jkvm.softcpu.Guest64.reportTsc;
import static org.jkvm.softcpu.Guest64.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.jkvm.hypervisor.VcpuExit;
import org.junit.jupiter.api.Test;

/**
 * 64-bit guests that use the local APIC as Linux does: the timer in one-shot, periodic and TSC-deadline modes with
 * EOI, self-IPIs through the xAPIC ICR and the x2APIC SELF IPI MSR, the error status register. Each timer must not
 * fire before its time in guest time (the TSC the guest reads).
 */
class LapicGuestTest {
    /** Software-enables the APIC (spurious vector 0xff) and sets the divide configuration to 1. */
    private static final String ENABLE = " movl $0x1ff, 0xf0(%rsi)\n movl $0xb, 0x3e0(%rsi)\n";
    /** The timer's handler: count in %ebx, EOI. */
    private static final String TIMER_HANDLER = "timer:\n inc %ebx\n movl $0, 0xb0(%rsi)\n iretq\n";

    @Test
    void oneShotTimerFiresOnceAfterItsCount() {
        String src = prologue() + gate(0x40, "timer") + ENABLE + " movl $0x40, 0x320(%rsi)\n" + reportTsc(0x90)
                + " movl $5000000, 0x380(%rsi)\n" + waitFor(1)
                + reportTsc(0x92) + " mov 0x390(%rsi), %eax\n out %eax, $0x94\n"
                + " mov %ebx, %eax\n out %eax, $0x95\n" + epilogue() + TIMER_HANDLER;
        try (TestVm t = new TestVm(16 << 20, true)) {
            Guest64.start(t, src);
            assertEquals(VcpuExit.INTERRUPTED, t.run());
            long elapsed = Guest64.tsc(t, 0x92, 0) - Guest64.tsc(t, 0x90, 0);
            assertTrue(elapsed >= Guest64.tscTicks(t, 5_000_000), "the 5 ms one-shot fired after " + elapsed
                    + " TSC ticks");
            assertEquals(List.of(0L), t.ops.valuesAt(0x94), "the current count reads 0 after expiry");
            assertEquals(List.of(1L), t.ops.valuesAt(0x95));
        }
    }

    @Test
    void periodicTimerTicksAtItsPeriodUntilStopped() {
        String src = prologue() + gate(0x41, "timer") + ENABLE + " movl $(0x41 | 1 << 17), 0x320(%rsi)\n"
                + reportTsc(0x90) + " movl $1000000, 0x380(%rsi)\n" + waitFor(5) + reportTsc(0x92)
                + " movl $0, 0x380(%rsi)\n mov 0x390(%rsi), %eax\n out %eax, $0x94\n" + epilogue() + TIMER_HANDLER;
        try (TestVm t = new TestVm(16 << 20, true)) {
            Guest64.start(t, src);
            assertEquals(VcpuExit.INTERRUPTED, t.run());
            long elapsed = Guest64.tsc(t, 0x92, 0) - Guest64.tsc(t, 0x90, 0);
            assertTrue(elapsed >= Guest64.tscTicks(t, 5_000_000), "5 periods of 1 ms took " + elapsed + " TSC ticks");
            assertEquals(List.of(0L), t.ops.valuesAt(0x94), "an initial count of 0 stops the timer");
        }
    }

    @Test
    void tscDeadlineTimerFiresAtTheDeadlineAndClearsTheMsr() {
        try (TestVm t = new TestVm(16 << 20, true)) {
            long delta = Guest64.tscTicks(t, 3_000_000);
            String src = prologue() + gate(0x42, "timer") + ENABLE + " movl $(0x42 | 2 << 17), 0x320(%rsi)\n"
                    + " rdtsc\n shl $32, %rdx\n or %rdx, %rax\n mov $" + delta + ", %rcx\n"
                    + " add %rax, %rcx\n mov %rcx, %rax\n mov %rcx, %rdx\n shr $32, %rdx\n out %eax, $0x90\n"
                    + " mov %edx, %eax\n out %eax, $0x91\n mov %rcx, %rax\n"
                    + " mov $0x6e0, %ecx\n wrmsr\n rdmsr\n out %eax, $0x96\n" + waitFor(1) + reportTsc(0x92)
                    + " mov $0x6e0, %ecx\n rdmsr\n out %eax, $0x94\n" + epilogue() + TIMER_HANDLER;
            Guest64.start(t, src);
            assertEquals(VcpuExit.INTERRUPTED, t.run());
            long deadline = Guest64.tsc(t, 0x90, 0);
            assertEquals(deadline & 0xffffffffL, t.ops.valuesAt(0x96).get(0), "the deadline reads back");
            long at = Guest64.tsc(t, 0x92, 0);
            assertTrue(at >= deadline, "the deadline " + deadline + " fired at TSC " + at);
            assertEquals(List.of(0L), t.ops.valuesAt(0x94), "IA32_TSC_DEADLINE reads 0 once it fired");
        }
    }

    @Test
    void selfIpisThroughTheIcrAndTheX2apicSelfIpiMsr() {
        String handlers = "h1:\n mov $1, %al\n out %al, $0xe0\n movl $0, 0xb0(%rsi)\n iretq\n"
                + "h2:\n mov $2, %al\n out %al, $0xe0\n movl $0, 0xb0(%rsi)\n iretq\n"
                + "h3:\n mov $3, %al\n out %al, $0xe0\n mov $0x80b, %ecx\n xor %eax, %eax\n xor %edx, %edx\n wrmsr\n"
                + " iretq\n";
        String src = prologue() + gate(0x50, "h1") + gate(0x51, "h2") + gate(0x52, "h3") + ENABLE + " sti\n"
                // Shorthand "self", fixed, vector 0x50.
                + " movl $(1 << 18 | 0x50), 0x300(%rsi)\n nop\n"
                // Destination field = our own APIC ID (0), physical, fixed, vector 0x51.
                + " movl $0, 0x310(%rsi)\n movl $0x51, 0x300(%rsi)\n nop\n"
                // An illegal vector (5): the send-illegal-vector error, read after an ESR write.
                + " movl $(1 << 18 | 5), 0x300(%rsi)\n movl $0, 0x280(%rsi)\n mov 0x280(%rsi), %eax\n out %al, $0xe1\n"
                // x2APIC mode, then SELF IPI (MSR 0x83f) with vector 0x52.
                + " mov $0x1b, %ecx\n rdmsr\n or $(1 << 10), %eax\n wrmsr\n"
                + " mov $0x802, %ecx\n rdmsr\n out %eax, $0xe2\n"
                + " mov $0x83f, %ecx\n mov $0x52, %eax\n xor %edx, %edx\n wrmsr\n nop\n cli\n" + epilogue() + handlers;
        try (TestVm t = new TestVm(16 << 20, true)) {
            Guest64.start(t, src);
            assertEquals(VcpuExit.INTERRUPTED, t.run());
            assertEquals(List.of(1L, 2L, 3L), t.ops.valuesAt(0xe0));
            assertEquals(List.of(0x20L), t.ops.valuesAt(0xe1), "ESR: send illegal vector");
            assertEquals(List.of(0L), t.ops.valuesAt(0xe2), "the x2APIC ID is the vCPU's id");
        }
    }

    @Test
    void taskPriorityHoldsBackLowerClassesUntilLowered() {
        // TPR 0x50 blocks vector 0x45 (class 4) and lets 0x65 (class 6) through; CR8 = 0 releases 0x45.
        String handlers = "lo:\n mov $0x45, %al\n out %al, $0xe0\n movl $0, 0xb0(%rsi)\n iretq\n"
                + "hi:\n mov $0x65, %al\n out %al, $0xe0\n movl $0, 0xb0(%rsi)\n iretq\n";
        String src = prologue() + gate(0x45, "lo") + gate(0x65, "hi") + ENABLE + " movl $0x50, 0x80(%rsi)\n sti\n"
                + " movl $(1 << 18 | 0x45), 0x300(%rsi)\n nop\n mov $0x11, %al\n out %al, $0xe0\n"
                + " mov 0xa0(%rsi), %eax\n out %al, $0xe1\n"
                + " movl $(1 << 18 | 0x65), 0x300(%rsi)\n nop\n mov $0x22, %al\n out %al, $0xe0\n"
                + " mov %cr8, %rax\n out %al, $0xe2\n xor %eax, %eax\n mov %rax, %cr8\n nop\n nop\n cli\n"
                + epilogue() + handlers;
        try (TestVm t = new TestVm(16 << 20, true)) {
            Guest64.start(t, src);
            assertEquals(VcpuExit.INTERRUPTED, t.run());
            assertEquals(List.of(0x11L, 0x65L, 0x22L, 0x45L), t.ops.valuesAt(0xe0));
            assertEquals(List.of(0x50L), t.ops.valuesAt(0xe1), "PPR = TPR");
            assertEquals(List.of(5L), t.ops.valuesAt(0xe2), "CR8 = TPR[7:4]");
        }
    }

    @Test
    void nmiThroughTheIcrIsBlockedUntilItsHandlersIret() {
        // The handler sends itself a second NMI: it must wait for the IRETQ, not nest.
        String handler = "nmi:\n inc %ebx\n mov %bl, %al\n out %al, $0xe0\n cmp $1, %ebx\n jne 1f\n"
                + " movl $(1 << 18 | 0x400), 0x300(%rsi)\n nop\n mov $0x99, %al\n out %al, $0xe0\n1: iretq\n";
        String src = prologue() + gate(2, "nmi") + ENABLE + " cli\n movl $(1 << 18 | 0x400), 0x300(%rsi)\n nop\n"
                + " cmp $2, %ebx\n jne 2f\n mov $0x77, %al\n out %al, $0xe0\n2:\n" + epilogue() + handler;
        try (TestVm t = new TestVm(16 << 20, true)) {
            Guest64.start(t, src);
            assertEquals(VcpuExit.INTERRUPTED, t.run());
            assertEquals(List.of(1L, 0x99L, 2L, 0x77L), t.ops.valuesAt(0xe0), "NMIs come with IF=0, one at a time");
        }
    }
}
