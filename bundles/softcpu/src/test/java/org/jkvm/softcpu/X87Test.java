package org.jkvm.softcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.jkvm.hypervisor.VcpuExit;
import org.junit.jupiter.api.Test;

/**
 * x87 instruction groups in small 64-bit guests: each stores its results to memory at 0x200000, checked against
 * values computed here in Java (double arithmetic, where the x87 result rounded to double is the same).
 */
class X87Test {
    private static final long OUT = 0x200000;

    private static ByteBuffer run(String body) {
        try (TestVm t = new TestVm(16 << 20)) {
            t.load(0x100000, Asm.assemble(".code64\n mov $0x200000, %rdi\n fninit\n" + body + "\n hlt\n"));
            t.longMode(0x100000, 0x300000);
            assertEquals(VcpuExit.HLT, t.run(), t.vcpu::exitDetail);
            ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
            t.memory.read(OUT, b);
            return b.flip();
        }
    }

    @Test
    void arithmeticLoadsAndStores() {
        ByteBuffer b = run(""
                + " movq $7, 0x80(%rdi)\n fildq 0x80(%rdi)\n"          // 7
                + " movq $3, 0x88(%rdi)\n fildq 0x88(%rdi)\n"          // 3, 7
                + " fdivr %st(1), %st\n fstpl 0(%rdi)\n"               // 7/3
                + " fld1\n fadd %st(0), %st\n fsqrt\n fstpl 8(%rdi)\n" // sqrt 2
                + " fldpi\n fstpl 16(%rdi)\n"
                + " fild 0x80(%rdi)\n fchs\n fistpl 24(%rdi)\n"        // -7
                + " fstpl 32(%rdi)\n"                                  // 7 still on the stack
                + " fnstsw %ax\n mov %ax, 40(%rdi)\n fnstcw 42(%rdi)\n");
        assertEquals(7.0 / 3, b.getDouble(0));
        assertEquals(Math.sqrt(2), b.getDouble(8));
        assertEquals(Math.PI, b.getDouble(16));
        assertEquals(-7, b.getInt(24));
        assertEquals(7.0, b.getDouble(32));
        assertEquals(0x20, b.getShort(40) & 0x3f, "only the precision flag (7/3, sqrt 2, pi are inexact)");
        assertEquals(0x37f, b.getShort(42));
    }

    @Test
    void comparisonsSetConditionCodesAndEflags() {
        ByteBuffer b = run(""
                + " fld1\n fldz\n fcomi %st(1), %st\n setb 0(%rdi)\n seta 1(%rdi)\n"   // 0 < 1
                + " fcom %st(1)\n fnstsw %ax\n mov %ah, 2(%rdi)\n"                    // C0
                + " fxch\n ftst\n fnstsw %ax\n mov %ah, 3(%rdi)\n"                    // 1 > 0: none
                + " fucomip %st(1), %st\n sete 4(%rdi)\n");
        assertEquals(1, b.get(0));
        assertEquals(0, b.get(1));
        assertEquals(1, b.get(2) & 0x45, "C0 (bit 8 of FSW) for less");
        assertEquals(0, b.get(3) & 0x45);
        assertEquals(0, b.get(4));
    }

    @Test
    void fxsaveAndFxrstorRoundTripTheState() {
        ByteBuffer b = run(""
                + " fldpi\n fld1\n movl $0x12345678, 0x90(%rdi)\n flds 0x90(%rdi)\n"
                + " fxsave 0x100(%rdi)\n fninit\n fxrstor 0x100(%rdi)\n"
                + " fstpl 0(%rdi)\n fstpl 8(%rdi)\n fstpl 16(%rdi)\n");
        assertEquals(Float.intBitsToFloat(0x12345678), b.getDouble(0));
        assertEquals(1.0, b.getDouble(8));
        assertEquals(Math.PI, b.getDouble(16));
    }
}
