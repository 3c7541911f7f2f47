package org.jkvm.softcpu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Building blocks of the 64-bit platform test guests: an IDT at 0x80000 with 64-bit interrupt gates, the local
 * APIC's page at 0xfee00000 in %rsi and the I/O APIC's at 0xfec00000 in %rbp (both mapped by a 1 GiB page over
 * 3-4 GiB), and TSC reports through port pairs.
 */
final class Guest64 {
    /** Where the code is loaded and starts. */
    static final long CODE = 0x100000;

    private Guest64() {
    }

    /** The prologue: an empty IDT loaded, the APIC pointers set. Interrupts stay off. */
    static String prologue() {
        return ".code64\nstart:\n cli\n lidt idtr(%rip)\n mov $0xfee00000, %esi\n mov $0xfec00000, %ebp\n";
    }

    /** Installs a 64-bit interrupt gate for {@code vector} to label {@code handler}. */
    static String gate(int vector, String handler) {
        return " lea " + handler + "(%rip), %rax\n mov $(0x80000 + " + vector * 16 + "), %rdi\n mov %ax, (%rdi)\n"
                + " movw $0x08, 2(%rdi)\n movw $0x8e00, 4(%rdi)\n shr $16, %rax\n mov %ax, 6(%rdi)\n"
                + " shr $16, %rax\n mov %eax, 8(%rdi)\n movl $0, 12(%rdi)\n";
    }

    /** RDTSC, reported as two 32-bit OUTs to {@code port} (low) and {@code port + 1} (high). */
    static String reportTsc(int port) {
        return " rdtsc\n out %eax, $" + port + "\n mov %edx, %eax\n out %eax, $" + (port + 1) + "\n";
    }

    /** Waits in HLT with interrupts on until %ebx reaches {@code n}. */
    static String waitFor(int n) {
        return " sti\n9: hlt\n cmp $" + n + ", %ebx\n jb 9b\n cli\n";
    }

    /** The end of the guest: a kick (the test's port 0xf4), then the IDT descriptor. */
    static String epilogue() {
        return " out %al, $0xf4\n hlt\nidtr: .word 0xfff\n .quad 0x80000\n";
    }

    /** Assembles {@code src}, loads it and enters 64-bit mode with the APIC window mapped. */
    static void start(TestVm t, String src) {
        t.load(CODE, Asm.assemble(src));
        t.longMode(CODE, 0x200000);
        mapTopGib(t);
    }

    /** Maps 3-4 GiB (the APIC windows) with one 1 GiB page in the PDPT at 0x71000. */
    static void mapTopGib(TestVm t) {
        t.memory.write(0x71000 + 3 * 8, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(0, 0xc0000000L | 0x83));
    }

    /** A TSC reported with {@link #reportTsc} at {@code port}: the {@code index}-th report. */
    static long tsc(TestVm t, int port, int index) {
        List<Long> lo = t.ops.valuesAt(port);
        List<Long> hi = t.ops.valuesAt(port + 1);
        return hi.get(index) << 32 | lo.get(index);
    }

    /** TSC ticks in {@code nanos} nanoseconds at the vCPU's rate, rounded down. */
    static long tscTicks(TestVm t, long nanos) {
        return nanos * t.vcpu.tscKhz() / 1_000_000;
    }
}
