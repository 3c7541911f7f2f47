package org.jkvm.softcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.jkvm.hypervisor.VcpuExit;
import org.junit.jupiter.api.Test;

/**
 * A small guest that computes with SSE2/SSE3 and x87 together, as compiled user code does: the Euclidean norm of a
 * vector of doubles (packed multiply/add, HADDPD, then FSQRT on the x87 stack), a float conversion round trip and an
 * integer SIMD checksum (PADDD/PSHUFD/PMULUDQ), checked against the same computation in Java.
 */
class SseGuestTest {
    private static final long DATA = 0x200000;
    private static final int N = 64;

    @Test
    void normChecksumAndConversions() {
        String src = ".code64\n mov %cr4, %rax\n or $0x600, %rax\n mov %rax, %cr4\n fninit\n"
                + " mov $0x200000, %rsi\n xorpd %xmm0, %xmm0\n mov $" + (N / 2) + ", %ecx\n"
                + "1: movapd (%rsi), %xmm1\n mulpd %xmm1, %xmm1\n addpd %xmm1, %xmm0\n add $16, %rsi\n loop 1b\n"
                + " haddpd %xmm0, %xmm0\n movsd %xmm0, 0x1000(%rsi)\n fldl 0x1000(%rsi)\n fsqrt\n"
                + " fstpl 0x1008(%rsi)\n"
                + " cvtsd2ss %xmm0, %xmm2\n cvtss2sd %xmm2, %xmm3\n movsd %xmm3, 0x1010(%rsi)\n"
                + " cvttsd2si %xmm0, %rax\n mov %rax, 0x1018(%rsi)\n"
                // Integer SIMD over the same bytes: the sum of the 32-bit lanes, then one PMULUDQ.
                + " mov $0x200000, %rsi\n pxor %xmm4, %xmm4\n mov $" + (N / 2) + ", %ecx\n"
                + "2: paddd (%rsi), %xmm4\n add $16, %rsi\n loop 2b\n"
                + " pshufd $0x4e, %xmm4, %xmm5\n paddd %xmm5, %xmm4\n pshufd $0xb1, %xmm4, %xmm5\n"
                + " paddd %xmm5, %xmm4\n movd %xmm4, %eax\n mov %eax, 0x1020(%rsi)\n"
                + " pmuludq %xmm4, %xmm4\n movq %xmm4, 0x1028(%rsi)\n hlt\n";
        ByteBuffer in = ByteBuffer.allocate(8 * N).order(ByteOrder.LITTLE_ENDIAN);
        double sum = 0;
        for (int i = 0; i < N; i++) {
            double v = (i - 20) * 0.37 + 1.0 / (i + 3);
            in.putDouble(8 * i, v);
        }
        // The guest's order: two lanes (even and odd indexes) summed separately, then added.
        double even = 0;
        double odd = 0;
        for (int i = 0; i < N; i += 2) {
            even += in.getDouble(8 * i) * in.getDouble(8 * i);
            odd += in.getDouble(8 * i + 8) * in.getDouble(8 * i + 8);
        }
        sum = even + odd;
        int lanes = 0;
        for (int i = 0; i < 2 * N; i++) {
            lanes += in.getInt(4 * i);
        }
        try (TestVm t = new TestVm(16 << 20)) {
            t.memory.write(DATA, in.duplicate());
            t.load(0x100000, Asm.assemble(src));
            t.longMode(0x100000, 0x300000);
            assertEquals(VcpuExit.HLT, t.run(), t.vcpu::exitDetail);
            ByteBuffer out = ByteBuffer.allocate(0x30).order(ByteOrder.LITTLE_ENDIAN);
            t.memory.read(DATA + 8 * N + 0x1000, out);
            assertEquals(sum, out.getDouble(0));
            assertEquals(Math.sqrt(sum), out.getDouble(8), "FSQRT rounded to double equals Java's sqrt here");
            assertEquals((double) (float) sum, out.getDouble(0x10));
            assertEquals((long) sum, out.getLong(0x18));
            assertEquals(lanes, out.getInt(0x20));
            assertEquals((lanes & 0xffffffffL) * (lanes & 0xffffffffL), out.getLong(0x28));
        }
    }
}
