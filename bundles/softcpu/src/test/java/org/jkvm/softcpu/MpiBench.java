package org.jkvm.softcpu;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

import org.jkvm.hypervisor.VcpuExit;

/**
 * A benchmark, not a test: the inner loops of the Linux crypto self-tests' RSA ({@code mpihelp_submul_1} and
 * {@code mpihelp_addmul_1} as gcc compiles the generic C: a load, a 64-bit MUL, ADD/ADC carries, a load, SUB and
 * SETcc borrow, a store, INC, JNZ) over 64-limb numbers, {@code -Drounds=N} times (default 40,000). Prints guest
 * instructions per vCPU CPU-second for the translated path ({@code -Djkvm.softcpu.translateAfter}, default here
 * 1000) and, with {@code -Dinterpreted=true}, for the interpreter. The run loop's rate is what the boot's RSA phase
 * sees; {@code bin/jkvm-bench Mpi}.
 */
public final class MpiBench {
    private MpiBench() {
    }

    /** The guest: %r12 rounds of submul then addmul over the limbs at 0x300000 (s1) and 0x310000 (res). */
    static String source(int rounds) {
        return Guest64.prologue()
                + " mov $" + rounds + ", %r12d\n mov $0x9e3779b97f4a7c15, %rcx\n"
                + "0: mov $0x340000, %rdi\n mov $0x300000, %rsi\n mov $-64, %r8\n xor %r9d, %r9d\n"
                // mpihelp_submul_1's loop (res -= s1 * limb, borrow into the carry limb)
                + "1: mov (%rsi,%r8,8), %rax\n mul %rcx\n add %r9, %rax\n adc $0, %rdx\n"
                + (Boolean.getBoolean("split") ? " jo 9f\n" : "")
                + " mov (%rdi,%r8,8), %r10\n mov %r10, %r11\n sub %rax, %r11\n cmp %r11, %r10\n setb %al\n"
                + " movzbl %al, %eax\n lea (%rax,%rdx), %r9\n mov %r11, (%rdi,%r8,8)\n add $1, %r8\n jne 1b\n"
                + " mov $-64, %r8\n xor %r9d, %r9d\n"
                // mpihelp_addmul_1's loop (res += s1 * limb)
                + "2: mov (%rsi,%r8,8), %rax\n mul %rcx\n add %r9, %rax\n adc $0, %rdx\n"
                + " add (%rdi,%r8,8), %rax\n adc $0, %rdx\n mov %rax, (%rdi,%r8,8)\n mov %rdx, %r9\n"
                + (Boolean.getBoolean("split") ? " jo 9f\n" : "") + " inc %r8\n jnz 2b\n"
                + " dec %r12d\n jnz 0b\n hlt\n9: ud2\nidtr: .word 0xfff\n .quad 0x80000\n";
    }

    public static void main(String[] args) {
        int rounds = Integer.getInteger("rounds", 40_000);
        if (System.getProperty("jkvm.softcpu.translateAfter") == null) {
            System.setProperty("jkvm.softcpu.translateAfter", "1000");
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (int rep = 0; rep < Integer.getInteger("repeat", 3); rep++) {
            try (TestVm t = new TestVm(16 << 20)) {
                Guest64.start(t, source(rounds));
                java.util.Random rnd = new java.util.Random(rep);
                byte[] limbs = new byte[4096];
                rnd.nextBytes(limbs);
                t.memory.write(0x2ff000, java.nio.ByteBuffer.wrap(limbs));
                rnd.nextBytes(limbs);
                t.memory.write(0x33f000, java.nio.ByteBuffer.wrap(limbs));
                long c0 = mx.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                VcpuExit e = t.run();
                double dc = (mx.getCurrentThreadCpuTime() - c0) / 1e9;
                double dt = (System.nanoTime() - t0) / 1e9;
                long n = ((SoftVcpu) t.vcpu).instructionsRetired();
                System.out.printf("%s: %d M instructions in %.2f s (%.2f vCPU CPU-s): %.1f M/s, %.1f M per vCPU "
                        + "CPU-second; r9=%x%n", e, n / 1_000_000, dt, dc, n / dt / 1e6, n / dc / 1e6,
                        t.vcpu.registers().gprs()[9]);
            }
        }
    }
}
