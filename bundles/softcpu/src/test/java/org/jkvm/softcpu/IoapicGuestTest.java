package org.jkvm.softcpu;

import static org.jkvm.softcpu.Guest64.epilogue;
import static org.jkvm.softcpu.Guest64.gate;
import static org.jkvm.softcpu.Guest64.prologue;
import static org.jkvm.softcpu.Guest64.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.jkvm.hypervisor.VcpuExit;
import org.junit.jupiter.api.Test;

/**
 * 64-bit guests that take device interrupts as Linux does: a level-triggered I/O APIC pin with remote IRR and the
 * EOI broadcast (a line still asserted at the EOI delivers again), and the PIC through LINT0 in virtual wire mode
 * (ExtINT), which a masked LINT0 holds back. The "device" is the test: port 0xe8 raises the line, port 0xe9 (read)
 * acknowledges and lowers it.
 */
class IoapicGuestTest {
    private static final String ENABLE = " movl $0x1ff, 0xf0(%rsi)\n";

    /** Raises GSI {@code gsi} on OUT 0xe8 (edge: a pulse when {@code pulse}) and lowers it on IN 0xe9. */
    private static void device(TestVm t, int gsi, boolean pulse) {
        t.ops.onOut = (port, n) -> {
            if (port == 0xe8) {
                t.chip.setIrq(gsi, true);
                if (pulse) {
                    t.chip.setIrq(gsi, false);
                }
            }
        };
        t.ops.onIn = port -> {
            if (port == 0xe9) {
                t.chip.setIrq(gsi, false);
                return 0;
            }
            return -1;
        };
    }

    @Test
    void levelTriggeredPinDeliversAgainAfterAnEoiWhileAsserted() {
        String handler = "dev:\n inc %ebx\n movl $0x1a, (%rbp)\n mov 0x10(%rbp), %eax\n out %eax, $0xe2\n"
                + " cmp $1, %ebx\n je 1f\n in $0xe9, %al\n1: movl $0, 0xb0(%rsi)\n iretq\n";
        // The PIC is masked, as Linux leaves it when it uses the I/O APIC (GSI 5 is also its IRQ 5).
        String src = prologue() + gate(0x50, "dev") + ENABLE + " mov $0xff, %al\n out %al, $0x21\n out %al, $0xa1\n"
                + " movl $0x1b, (%rbp)\n movl $0, 0x10(%rbp)\n"
                + " movl $0x1a, (%rbp)\n movl $(0x50 | 1 << 15), 0x10(%rbp)\n"
                + " mov 0x1a0(%rsi), %eax\n out %eax, $0xe4\n"
                + " out %al, $0xe8\n" + waitFor(2)
                + " mov 0x1a0(%rsi), %eax\n out %eax, $0xe4\n"
                + " out %al, $0xe8\n" + waitFor(3)
                + " movl $0x1a, (%rbp)\n mov 0x10(%rbp), %eax\n out %eax, $0xe3\n" + epilogue() + handler;
        try (TestVm t = new TestVm(16 << 20, true)) {
            device(t, 5, false);
            Guest64.start(t, src);
            assertEquals(VcpuExit.INTERRUPTED, t.run(), t.vcpu.exitDetail());
            long entry = 0x50 | 1 << 15;
            long remoteIrr = 1 << 14;
            assertEquals(List.of(entry | remoteIrr, entry | remoteIrr, entry | remoteIrr), t.ops.valuesAt(0xe2),
                    "remote IRR is set while each delivery is in service");
            assertEquals(List.of(entry), t.ops.valuesAt(0xe3), "the EOI after the device's acknowledge clears it");
            assertEquals(List.of(0L, 1L << 16), t.ops.valuesAt(0xe4), "TMR bit 0x50 set for the level interrupt");
        }
    }

    @Test
    void picInterruptsReachTheCpuThroughLint0InVirtualWireMode() {
        String handlers = "kbd:\n inc %ebx\n in $0xe9, %al\n mov $0x20, %al\n out %al, $0x20\n iretq\n"
                + "marker:\n mov %ebx, %eax\n out %eax, $0xe5\n movl $0, 0xb0(%rsi)\n iretq\n";
        String src = prologue() + gate(0x31, "kbd") + gate(0x60, "marker") + ENABLE
                + " mov $0x11, %al\n out %al, $0x20\n mov $0x30, %al\n out %al, $0x21\n mov $4, %al\n out %al, $0x21\n"
                + " mov $1, %al\n out %al, $0x21\n mov $0xfd, %al\n out %al, $0x21\n mov $0xff, %al\n out %al, $0xa1\n"
                + " movl $0x700, 0x350(%rsi)\n"
                + " out %al, $0xe8\n" + waitFor(1)
                // LINT0 masked: the PIC's request waits; a self-IPI shows the CPU is taking interrupts meanwhile.
                + " movl $0x10700, 0x350(%rsi)\n out %al, $0xe8\n"
                + " sti\n movl $(1 << 18 | 0x60), 0x300(%rsi)\n nop\n cli\n"
                + " movl $0x700, 0x350(%rsi)\n" + waitFor(2) + " mov %ebx, %eax\n out %eax, $0xe6\n"
                + epilogue() + handlers;
        try (TestVm t = new TestVm(16 << 20, true)) {
            device(t, 1, true);
            Guest64.start(t, src);
            assertEquals(VcpuExit.INTERRUPTED, t.run());
            assertEquals(List.of(1L), t.ops.valuesAt(0xe5), "a masked LINT0 holds the PIC's interrupt back");
            assertEquals(List.of(2L), t.ops.valuesAt(0xe6), "unmasking LINT0 lets it through");
        }
    }
}
