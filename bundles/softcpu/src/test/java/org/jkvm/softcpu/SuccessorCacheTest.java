package org.jkvm.softcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.jkvm.hypervisor.VcpuExit;
import org.junit.jupiter.api.Test;

/**
 * The run loop's successor cache (a block remembers the blocks that ran after it and skips the jump cache for them;
 * DESIGN.md, "Hot path") never runs a block that the jump cache would not give: after the code's page is remapped
 * to other code at the same linear address, and after the code is overwritten, the next run takes the new code.
 * Interpreted and with every block translated.
 */
class SuccessorCacheTest {
    /** The page directory's entry for linear 8-10 MiB (TestVm's identity map with 2 MiB pages at 0x72000). */
    private static final long PDE_8M = 0x72000 + 4 * 8;

    /**
     * A loop of 2,000 rounds that jumps to 0x800000 (ADD $1 or $100 to %rax, then back) and at round 1,000 runs
     * {@code change}; %rax at the end counts what ran.
     */
    private static long run(String change, int translateAfter) {
        String old = System.getProperty("jkvm.softcpu.translateAfter");
        System.setProperty("jkvm.softcpu.translateAfter", Integer.toString(translateAfter));
        String src = Guest64.prologue() + " mov $0x800000, %r12\n lea back(%rip), %r13\n xor %eax, %eax\n"
                + " mov $2000, %ecx\n1: jmp *%r12\nback: dec %ecx\n cmp $1000, %ecx\n jne 2f\n" + change
                + "2: test %ecx, %ecx\n jnz 1b\n hlt\nidtr: .word 0xfff\n .quad 0x80000\n";
        try (TestVm t = new TestVm(16 << 20)) {
            Guest64.start(t, src);
            t.load(0x400000, Asm.assemble(".code64\n add $1, %rax\n jmp *%r13\n"));
            t.load(0x600000, Asm.assemble(".code64\n add $100, %rax\n jmp *%r13\n"));
            t.memory.write(PDE_8M, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 0x400083));
            assertEquals(VcpuExit.HLT, t.run());
            return t.vcpu.registers().gprs()[0];
        } finally {
            if (old == null) {
                System.clearProperty("jkvm.softcpu.translateAfter");
            } else {
                System.setProperty("jkvm.softcpu.translateAfter", old);
            }
        }
    }

    @Test
    void remappedCodePageRunsTheNewCode() {
        // 8 MiB now maps the copy that adds 100; INVLPG drops the old translation.
        String remap = " movq $0x600083, " + PDE_8M + "\n invlpg (%r12)\n";
        assertEquals(1000 + 1000 * 100, run(remap, 0), "interpreted");
        assertEquals(1000 + 1000 * 100, run(remap, 1), "translated");
    }

    @Test
    void overwrittenCodeRunsTheNewCode() {
        // The immediate of the ADD at 0x800000 (48 83 c0 01) becomes 100.
        String patch = " movb $100, 0x800003\n";
        assertEquals(1000 + 1000 * 100, run(patch, 0), "interpreted");
        assertEquals(1000 + 1000 * 100, run(patch, 1), "translated");
    }
}
