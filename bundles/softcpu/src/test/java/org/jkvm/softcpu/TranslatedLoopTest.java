package org.jkvm.softcpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.function.Function;

import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.hypervisor.x86.Registers;
import org.jkvm.softcpu.exec.Runner;
import org.junit.jupiter.api.Test;

/**
 * A block that jumps back to its own start runs its next iterations inside its translated method (see DESIGN.md,
 * "Translator"): the same registers, memory and retired count as the interpreter, a fault in a later iteration at
 * the right instruction with the right count, and a kick seen within one iteration.
 */
class TranslatedLoopTest {
    /** The end of the guest's run on one path: registers, retired instructions, and what the test asked for. */
    private record Outcome(Registers regs, long instret, long blocksTranslated) {
    }

    /** Runs {@code src} (64-bit, at Guest64.CODE) to its HLT with {@code translateAfter} (0 = interpreter only). */
    private static Outcome run(String src, int translateAfter, Function<TestVm, VcpuExit> body) {
        String old = System.getProperty("jkvm.softcpu.translateAfter");
        System.setProperty("jkvm.softcpu.translateAfter", Integer.toString(translateAfter));
        long before = Runner.blocksTranslatedInJvm();
        try (TestVm t = new TestVm(16 << 20)) {
            Guest64.start(t, src);
            // No translation for 8-10 MiB: a page fault there.
            t.memory.write(0x72000 + 4 * 8, ByteBuffer.allocate(8));
            assertEquals(VcpuExit.HLT, body.apply(t));
            return new Outcome(t.vcpu.registers(), ((SoftVcpu) t.vcpu).instructionsRetired(),
                    Runner.blocksTranslatedInJvm() - before);
        } finally {
            if (old == null) {
                System.clearProperty("jkvm.softcpu.translateAfter");
            } else {
                System.setProperty("jkvm.softcpu.translateAfter", old);
            }
        }
    }

    private static void assertSame(Outcome interpreted, Outcome translated) {
        assertEquals(0, interpreted.blocksTranslated());
        assertTrue(translated.blocksTranslated() > 0, "the loop ran translated");
        assertArrayEquals(interpreted.regs().gprs(), translated.regs().gprs(), "registers");
        assertEquals(interpreted.regs().rip(), translated.regs().rip(), "RIP");
        assertEquals(interpreted.regs().rflags(), translated.regs().rflags(), "RFLAGS");
        assertEquals(interpreted.instret(), translated.instret(), "instructions retired");
    }

    @Test
    void loopOfOneBlockMatchesTheInterpreter() {
        // The firmware's compute block (register ALU ops, a store, a load, flags carried into ADC and across the
        // back edge) with its flags and memory folded into the registers at the end.
        String src = Guest64.prologue() + " mov $0x300000, %r8\n mov $20000, %r10\n mov $1, %eax\n mov $2, %ebx\n"
                + " mov $3, %ecx\n mov $5, %esi\n mov $7, %edi\n"
                + "1: add %rax, %rbx\n xor %rbx, %rcx\n rol $13, %rcx\n lea 1(%rax,%rcx,2), %rdx\n"
                + " imul %rdx, %rsi\n shr $7, %rdx\n sub %rdx, %rdi\n mov %rdi, 48(%r8)\n mov 56(%r8), %r9\n"
                + " add %r9, %rax\n or %rsi, %r9\n mov %r9, 56(%r8)\n cmp %rax, %rbx\n adc $0, %rax\n"
                + " setb %r11b\n cmovz %rbx, %r12\n dec %r10\n jnz 1b\n"
                + " pushf\n pop %r13\n mov 48(%r8), %r14\n mov 56(%r8), %r15\n hlt\n"
                + "idtr: .word 0xfff\n .quad 0x80000\n";
        Outcome interpreted = run(src, 0, TestVm::run);
        Outcome translated = run(src, 1, TestVm::run);
        assertSame(interpreted, translated);
        assertTrue(translated.instret() > 20000 * 18, "20000 rounds of 18: " + translated.instret());
    }

    @Test
    void faultInALaterIterationRestartsAtTheFaultingInstruction() {
        // Loads walk up a page per iteration into 8 MiB, which is not mapped: #PF in the 6th iteration, at the
        // load, after the ADD before it. The handler keeps CR2 and the pushed RIP.
        String src = Guest64.prologue() + Guest64.gate(14, "pf")
                + " mov $0x7fb000, %ebx\n xor %ecx, %ecx\n xor %edx, %edx\n lea ld(%rip), %r13\n mov $100, %esi\n"
                + "1: add $8, %rcx\nld: mov (%rbx), %rax\n add %rax, %rdx\n add $0x1000, %rbx\n dec %esi\n jnz 1b\n"
                + " hlt\npf: mov %cr2, %r15\n mov 8(%rsp), %r14\n hlt\nidtr: .word 0xfff\n .quad 0x80000\n";
        Outcome interpreted = run(src, 0, TestVm::run);
        Outcome translated = run(src, 1, TestVm::run);
        assertSame(interpreted, translated);
        long[] g = translated.regs().gprs();
        assertEquals(0x800000, g[15], "CR2");
        assertEquals(g[13], g[14], "the pushed RIP is the load's");
        assertEquals(6 * 8, g[1], "the ADD of the 6th iteration ran, nothing after the load");
        assertEquals(95, g[6], "5 iterations finished");
    }

    @Test
    void kickIsSeenWithinOneIteration() {
        StringBuilder src = new StringBuilder(".code64\n1: out %al, $0x80\n");
        for (int i = 0; i < 40; i++) {
            src.append(" inc %rbx\n");
        }
        src.append(" jmp 1b\n");
        String old = System.getProperty("jkvm.softcpu.translateAfter");
        System.setProperty("jkvm.softcpu.translateAfter", "1");
        long before = Runner.blocksTranslatedInJvm();
        try (TestVm t = new TestVm(16 << 20)) {
            t.load(0x100000, Asm.assemble(src.toString()));
            t.longMode(0x100000, 0x200000);
            long[] at = new long[1];
            t.ops.onOut = (port, count) -> {
                if (count == 1000) {
                    at[0] = ((SoftVcpu) t.vcpu).instructionsRetired();
                    t.vcpu.kick();
                }
            };
            assertEquals(VcpuExit.INTERRUPTED, t.run());
            long after = ((SoftVcpu) t.vcpu).instructionsRetired();
            assertTrue(Runner.blocksTranslatedInJvm() > before, "the loop ran translated");
            assertTrue(after - at[0] <= 42, "instructions after the kick: " + (after - at[0]));
            assertEquals(1000, t.ops.valuesAt(0x80).size());
            assertEquals(1000 * 40, t.vcpu.registers().rbx(), "the round of the kick finished, no other");
        } finally {
            if (old == null) {
                System.clearProperty("jkvm.softcpu.translateAfter");
            } else {
                System.setProperty("jkvm.softcpu.translateAfter", old);
            }
        }
    }
}
