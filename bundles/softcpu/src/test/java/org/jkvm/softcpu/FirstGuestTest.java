package org.jkvm.softcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.hypervisor.x86.ActivityState;
import org.junit.jupiter.api.Test;

/** The smallest guests: OUT and HLT in real mode and in long mode. */
class FirstGuestTest {
    @Test
    void realModeOutAndHlt() {
        byte[] code = Asm.assemble(".code16\n mov $0x42, %al\n out %al, $0x80\n mov $0x1234, %ax\n"
                + " mov $0x99, %dx\n out %ax, %dx\n hlt\n");
        try (TestVm t = new TestVm(1 << 20)) {
            t.load(0x1000, code);
            t.realMode(0x1000);
            assertEquals(VcpuExit.HLT, t.run());
            assertEquals(List.of(0x42L), t.ops.valuesAt(0x80));
            assertEquals(List.of(0x1234L), t.ops.valuesAt(0x99));
            assertEquals(0x1000 + code.length, t.rip());
            assertEquals(ActivityState.HALTED, t.vcpu.saveState().activity());
        }
    }

    @Test
    void longModeLoopOutAndHlt() {
        byte[] code = Asm.assemble(".code64\n mov $10, %ecx\n xor %eax, %eax\n1: add %rcx, %rax\n dec %ecx\n"
                + " jnz 1b\n out %eax, $0x80\n push %rax\n pop %rbx\n mov %ebx, %eax\n shl $4, %eax\n"
                + " out %eax, $0x81\n hlt\n");
        try (TestVm t = new TestVm(16 << 20)) {
            t.load(0x100000, code);
            t.longMode(0x100000, 0x200000);
            assertEquals(VcpuExit.HLT, t.run());
            assertEquals(List.of(55L), t.ops.valuesAt(0x80));
            assertEquals(List.of(55L * 16), t.ops.valuesAt(0x81));
        }
    }
}
