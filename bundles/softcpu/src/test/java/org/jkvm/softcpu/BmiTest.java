package org.jkvm.softcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.jkvm.hypervisor.VcpuExit;
import org.junit.jupiter.api.Test;

/** The VEX-encoded BMI1/BMI2 instructions, each result reported on its own port, against hand-computed values. */
class BmiTest {
    @Test
    void bmiResults() {
        String src = ".code64\n mov $0xf0f0, %rax\n mov $0xff00ff, %rbx\n andn %rbx, %rax, %rcx\n"
                + " mov %ecx, %eax\n out %eax, $0x80\n"                                        // ~0xf0f0 & 0xff00ff
                + " mov $0x0804, %rdx\n mov $0xabcdef12, %rsi\n bextr %rdx, %rsi, %rcx\n mov %ecx, %eax\n"
                + " out %eax, $0x81\n"                                                          // (x >> 4) & 0xff
                + " mov $0b101100, %rsi\n blsr %rsi, %rcx\n mov %ecx, %eax\n out %eax, $0x82\n"
                + " blsmsk %rsi, %rcx\n mov %ecx, %eax\n out %eax, $0x83\n"
                + " blsi %rsi, %rcx\n mov %ecx, %eax\n out %eax, $0x84\n"
                + " mov $12, %rdx\n mov $0xffffffff, %rsi\n bzhi %rdx, %rsi, %rcx\n mov %ecx, %eax\n"
                + " out %eax, $0x85\n"
                + " mov $0b1011, %rsi\n mov $0xf0f0, %rdx\n pdep %rdx, %rsi, %rcx\n mov %ecx, %eax\n out %eax, $0x86\n"
                + " mov $0x5a5a, %rsi\n pext %rdx, %rsi, %rcx\n mov %ecx, %eax\n out %eax, $0x87\n"
                + " mov $0x100000000, %rdx\n mov $0x300000005, %rsi\n mulx %rsi, %rbx, %rcx\n"
                + " mov %ecx, %eax\n out %eax, $0x88\n shr $32, %rbx\n mov %ebx, %eax\n out %eax, $0x89\n"
                + " mov $0x12345678, %esi\n rorx $8, %esi, %ecx\n mov %ecx, %eax\n out %eax, $0x8a\n"
                + " mov $4, %edx\n mov $-256, %esi\n sarx %edx, %esi, %ecx\n mov %ecx, %eax\n out %eax, $0x8b\n"
                + " shlx %edx, %esi, %ecx\n mov %ecx, %eax\n out %eax, $0x8c\n"
                + " shrx %edx, %esi, %ecx\n mov %ecx, %eax\n out %eax, $0x8d\n hlt\n";
        try (TestVm t = new TestVm(16 << 20)) {
            t.load(0x100000, Asm.assemble(src));
            t.longMode(0x100000, 0x200000);
            assertEquals(VcpuExit.HLT, t.run(), t.vcpu::exitDetail);
            // pdep: the mask's bits 4-7 and 12-15 receive source bits 0-3 (1011) and 4-7 (0000); pext: the
            // source's bits 4-7 and 12-15 packed; mulx: 2^32 * 0x300000005 = hi 3, lo 0x500000000.
            long[] want = {~0xf0f0L & 0xff00ff, 0xf1, 0b101000, 0b111, 0b100, 0xfff, 0xb0, 0x55, 3, 5, 0x78123456L,
                0xfffffff0L, 0xfffff000L, 0x0ffffff0L};
            for (int i = 0; i < want.length; i++) {
                assertEquals(List.of(want[i]), t.ops.valuesAt(0x80 + i), "port 0x" + Integer.toHexString(0x80 + i));
            }
        }
    }
}
