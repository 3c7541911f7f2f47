package org.jkvm.softcpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.hypervisor.x86.CpuState;
import org.junit.jupiter.api.Test;

/**
 * The system side of the FPU as a kernel uses it: CR0.TS/#NM (lazy FPU switching), CR4.OSFXSR/OSXMMEXCPT (#UD or
 * #XM), XCR0 through XSETBV/XGETBV, XSAVE/XRSTOR, the MTRR/PAT/AMD MSRs Linux reads, and the x87/SSE state crossing
 * the seam in {@link CpuState#fpu()} (the XSAVE layout, Intel SDM vol. 1 13.4).
 *
 * <p>Each guest runs in long mode with an IDT at 0x80000 whose handlers for #UD, #NM, #GP and #XM report the vector
 * on port 0x70 and recover (see {@link #HANDLERS}).
 */
class FpuSystemTest {
    private static final long CODE = 0x100000;
    private static final long IDT = 0x80000;
    private static final long OUT = 0x200000;
    /**
     * At CODE + 0x800: #NM clears TS; #XM masks all SSE exceptions again; #UD and #GP skip the faulting instruction,
     * whose length the guest puts in R15 before it.
     */
    private static final String HANDLERS = ".org 0x800\n"
            + "nm: push %rax\n mov $7, %al\n out %al, $0x70\n clts\n pop %rax\n iretq\n"
            + ".org 0x880\n"
            + "xm: push %rax\n mov $19, %al\n out %al, $0x70\n movl $0x1f80, -4(%rsp)\n ldmxcsr -4(%rsp)\n"
            + " pop %rax\n iretq\n"
            + ".org 0x900\n"
            + "ud: push %rax\n mov $6, %al\n out %al, $0x70\n addq %r15, 8(%rsp)\n pop %rax\n iretq\n"
            + ".org 0x980\n"
            + "gp: push %rax\n mov $13, %al\n out %al, $0x70\n addq %r15, 16(%rsp)\n pop %rax\n add $8, %rsp\n iretq\n";

    private static TestVm guest(String body) {
        TestVm t = new TestVm(16 << 20);
        String src = ".code64\n lidt idtr(%rip)\n mov $0x200000, %rdi\n mov $3, %r15\n" + body + "\n hlt\n"
                + "idtr: .word 0xfff\n .quad 0x80000\n" + HANDLERS;
        t.load(CODE, Asm.assemble(src));
        Mem m = new Mem(t.memory);
        m.gate64(IDT, 6, CODE + 0x900, 0, 0, false);
        m.gate64(IDT, 7, CODE + 0x800, 0, 0, false);
        m.gate64(IDT, 13, CODE + 0x980, 0, 0, false);
        m.gate64(IDT, 19, CODE + 0x880, 0, 0, false);
        t.longMode(CODE, 0x300000);
        return t;
    }

    private static VcpuExit run(TestVm t) {
        return t.run();
    }

    private static List<Long> vectors(TestVm t) {
        return t.ops.valuesAt(0x70);
    }

    private static ByteBuffer out(TestVm t, int bytes) {
        ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        t.memory.read(OUT, b);
        return b.flip();
    }

    @Test
    void cr0TsRaisesNmForX87SseAndFwaitUntilClts() {
        String body = " mov %cr4, %rax\n or $0x600, %rax\n mov %rax, %cr4\n"
                + " mov %cr0, %rax\n or $0xa, %rax\n mov %rax, %cr0\n"          // MP and TS
                + " fld1\n"                                                      // #NM, then runs
                + " mov %cr0, %rax\n or $8, %rax\n mov %rax, %cr0\n addps %xmm0, %xmm1\n"
                + " mov %cr0, %rax\n or $8, %rax\n mov %rax, %cr0\n fwait\n"   // MP=1, TS=1: #NM
                + " mov %cr0, %rax\n and $~2, %rax\n or $8, %rax\n mov %rax, %cr0\n fwait\n" // MP=0: no #NM
                + " clts\n fstpl (%rdi)\n";
        try (TestVm t = guest(body)) {
            assertEquals(VcpuExit.HLT, run(t), t.vcpu::exitDetail);
            assertEquals(List.of(7L, 7L, 7L), vectors(t));
            assertEquals(1.0, out(t, 8).getDouble(0), "the FLD1 ran after the handler cleared TS");
        }
    }

    @Test
    void sseNeedsOsfxsrAndUnmaskedExceptionsNeedOsxmmexcpt() {
        // Without CR4.OSFXSR: #UD. With it, an unmasked divide-by-zero: #UD without OSXMMEXCPT, #XM with it.
        String body = " addps %xmm0, %xmm1\n"                                     // 3 bytes: #UD
                + " mov %cr4, %rax\n or $0x200, %rax\n mov %rax, %cr4\n"
                + " movl $0x3f800000, 0x40(%rdi)\n movl $0, 0x44(%rdi)\n movss 0x40(%rdi), %xmm0\n"
                + " movss 0x44(%rdi), %xmm1\n movl $0x1d80, 0x48(%rdi)\n ldmxcsr 0x48(%rdi)\n"
                + " mov $4, %r15\n divss %xmm1, %xmm0\n"                       // 4 bytes: #UD
                + " mov %cr4, %rax\n or $0x400, %rax\n mov %rax, %cr4\n"
                + " ldmxcsr 0x48(%rdi)\n divss %xmm1, %xmm0\n"                    // #XM, handler masks, retried
                + " stmxcsr (%rdi)\n movss %xmm0, 4(%rdi)\n";
        try (TestVm t = guest(body)) {
            assertEquals(VcpuExit.HLT, run(t), t.vcpu::exitDetail);
            assertEquals(List.of(6L, 6L, 19L), vectors(t));
            ByteBuffer b = out(t, 8);
            assertEquals(0x1f80 | 4, b.getInt(0), "masked again by the handler, ZE set by the retried DIVSS");
            assertEquals(Float.POSITIVE_INFINITY, b.getFloat(4));
        }
    }

    @Test
    void xsetbvXgetbvAndXsaveFollowXcr0() {
        // CR4.OSXSAVE on, XCR0 = x87|SSE (3); XCR0 = 2 (SSE without x87) and 7 (AVX) are #GP; XSAVE writes the
        // legacy region and XSTATE_BV, XRSTOR brings XMM2 back.
        String body = " mov %cr4, %rax\n or $0x40600, %rax\n mov %rax, %cr4\n"
                + " xor %ecx, %ecx\n xgetbv\n mov %eax, 0x10(%rdi)\n"
                + " mov $3, %eax\n xor %edx, %edx\n xsetbv\n"
                + " mov $2, %eax\n xsetbv\n"                                      // 3 bytes: #GP
                + " mov $7, %eax\n xsetbv\n"                                      // #GP
                + " xgetbv\n mov %eax, 0x14(%rdi)\n"
                + " movl $0x40490fdb, 0x20(%rdi)\n movss 0x20(%rdi), %xmm2\n fld1\n"
                + " mov $3, %eax\n xor %edx, %edx\n xsave 0x1000(%rdi)\n"
                + " xorps %xmm2, %xmm2\n fninit\n xrstor 0x1000(%rdi)\n movss %xmm2, 0x18(%rdi)\n"
                + " fstps 0x1c(%rdi)\n";
        try (TestVm t = guest(body)) {
            assertEquals(VcpuExit.HLT, run(t), t.vcpu::exitDetail);
            assertEquals(List.of(13L, 13L), vectors(t));
            ByteBuffer b = out(t, 0x1000 + 576);
            assertEquals(1, b.getInt(0x10), "XCR0 after reset: x87 only");
            assertEquals(3, b.getInt(0x14));
            assertEquals(Float.intBitsToFloat(0x40490fdb), b.getFloat(0x18));
            assertEquals(1.0f, b.getFloat(0x1c));
            assertEquals(0x037f, b.getShort(0x1000) & 0xffff, "FCW in the legacy region");
            assertEquals(0x1f80, b.getInt(0x1000 + 24), "MXCSR");
            assertEquals(0x40490fdb, b.getInt(0x1000 + 160 + 32), "XMM2");
            assertEquals(3, b.getLong(0x1000 + 512), "XSTATE_BV: x87 and SSE in use");
        }
    }

    @Test
    void msrsLinuxReadsOnAnAmdCpuAndPatChecks() {
        // SYSCFG and the microcode revision read as zero; MTRRdefType keeps WB|E; MCG_CAP has no banks; a PAT
        // entry of 2 (reserved) is #GP(0) and leaves PAT alone.
        String body = " mov $0xc0010010, %ecx\n rdmsr\n mov %eax, 0(%rdi)\n"
                + " mov $0x2ff, %ecx\n mov $0xc06, %eax\n xor %edx, %edx\n wrmsr\n rdmsr\n mov %eax, 4(%rdi)\n"
                + " mov $0x179, %ecx\n rdmsr\n mov %eax, 8(%rdi)\n"
                + " mov $0x277, %ecx\n mov $0x00070406, %eax\n mov $0x02070406, %edx\n"
                + " mov $2, %r15\n wrmsr\n"                                      // #GP
                + " rdmsr\n mov %eax, 12(%rdi)\n mov %edx, 16(%rdi)\n";
        try (TestVm t = guest(body)) {
            assertEquals(VcpuExit.HLT, run(t), t.vcpu::exitDetail);
            assertEquals(List.of(13L), vectors(t));
            ByteBuffer b = out(t, 20);
            assertEquals(0, b.getInt(0));
            assertEquals(0xc06, b.getInt(4));
            assertEquals(0, b.getInt(8));
            assertEquals(0x00070406, b.getInt(12), "PAT at its reset value");
            assertEquals(0x00070406, b.getInt(16));
        }
    }

    @Test
    void theFpuStateCrossesTheSeamInTheXsaveLayout() {
        // A guest leaves 2.5 and 1 on the x87 stack, a rounding control and an XMM value; the saved state is
        // restored into a second VM, whose guest stores them.
        String first = " mov %cr4, %rax\n or $0x600, %rax\n mov %rax, %cr4\n"
                + " movl $0x40200000, (%rdi)\n flds (%rdi)\n fld1\n movw $0x0f7f, 4(%rdi)\n fldcw 4(%rdi)\n"
                + " movq $0x1122334455667788, %rax\n movq %rax, %xmm5\n";
        String second = " mov %cr4, %rax\n or $0x600, %rax\n mov %rax, %cr4\n"
                + " fstpl 8(%rdi)\n fstpl 16(%rdi)\n fnstcw 24(%rdi)\n movq %xmm5, 32(%rdi)\n"
                + " stmxcsr 40(%rdi)\n";
        CpuState s;
        try (TestVm a = guest(first)) {
            assertEquals(VcpuExit.HLT, run(a), a.vcpu::exitDetail);
            s = a.vcpu.saveState();
        }
        byte[] x = s.fpu().bytes();
        ByteBuffer l = ByteBuffer.wrap(x).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x0f7f, l.getShort(0) & 0xffff, "FCW");
        assertEquals(0x3000, l.getShort(2) & 0x3800, "FSW TOP = 6");
        assertEquals(0xc0, x[4] & 0xff, "abridged FTW: registers 6 and 7 in use");
        assertEquals(0x1f80, l.getInt(24), "MXCSR");
        assertEquals(0x8000000000000000L, l.getLong(32), "ST0 = 1.0 significand");
        assertEquals(0x3fff, l.getShort(40), "ST0 exponent");
        assertEquals(0x1122334455667788L, l.getLong(160 + 5 * 16), "XMM5");
        assertEquals(3, l.getLong(512) & 3, "XSTATE_BV");
        try (TestVm b = guest(second)) {
            CpuState fresh = b.vcpu.saveState();
            b.vcpu.restoreState(new CpuState(fresh.registers(), fresh.system(), s.fpu(), s.xcr0(), fresh.msrs(),
                    fresh.events(), fresh.activity(), fresh.debug()));
            assertEquals(VcpuExit.HLT, run(b), b.vcpu::exitDetail);
            ByteBuffer o = out(b, 48);
            assertEquals(1.0, o.getDouble(8));
            assertEquals(2.5, o.getDouble(16));
            assertEquals(0x0f7f, o.getShort(24) & 0xffff);
            assertEquals(0x1122334455667788L, o.getLong(32));
            assertEquals(0x1f80, o.getInt(40));
            byte[] again = b.vcpu.saveState().fpu().bytes();
            assertEquals(0, again[4], "both registers popped: the abridged FTW is empty again");
            assertArrayEquals(java.util.Arrays.copyOfRange(x, 160, 512), java.util.Arrays.copyOfRange(again, 160, 512),
                    "the XMM registers unchanged");
        }
    }
}
