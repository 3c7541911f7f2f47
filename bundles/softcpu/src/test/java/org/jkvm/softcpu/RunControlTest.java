package org.jkvm.softcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.jkvm.hypervisor.HvVcpu;
import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.hypervisor.x86.ActivityState;
import org.jkvm.hypervisor.x86.CpuState;
import org.jkvm.hypervisor.x86.Registers;
import org.jkvm.softcpu.sys.Tsc;
import org.junit.jupiter.api.Test;

/** kick(), interruptible REP, injected interrupts waking HLT, the virtual TSC. */
class RunControlTest {
    /** A VmOps hook: kick the vCPU from inside the n-th OUT to port 0x80 (the vCPU's own thread, mid-instruction). */
    private static void kickOnOut(TestVm t, int n, long[] instretAtKick) {
        t.ops.onOut = (port, count) -> {
            if (port == 0x80 && count == n) {
                instretAtKick[0] = ((SoftVcpu) t.vcpu).instructionsRetired();
                t.vcpu.kick();
            }
        };
    }

    @Test
    void kickEndsTheRunWithinOneBlock() {
        StringBuilder src = new StringBuilder(".code64\n1: out %al, $0x80\n");
        for (int i = 0; i < 40; i++) {
            src.append(" inc %rbx\n");
        }
        src.append(" jmp 1b\n");
        try (TestVm t = new TestVm(16 << 20)) {
            t.load(0x100000, Asm.assemble(src.toString()));
            t.longMode(0x100000, 0x200000);
            long[] at = new long[1];
            kickOnOut(t, 1000, at);
            assertEquals(VcpuExit.INTERRUPTED, t.run());
            long after = ((SoftVcpu) t.vcpu).instructionsRetired();
            // The kick is seen at the next block boundary: at most one block (64 instructions) later.
            assertTrue(after - at[0] <= 64, "instructions after the kick: " + (after - at[0]));
            assertEquals(1000, t.ops.valuesAt(0x80).size());
        }
    }

    @Test
    void longRepIsInterruptedAndResumesWithConsistentRegisters() {
        String src = ".code64\n mov $300000, %ecx\n mov $0x200000, %esi\n mov $0x80, %edx\n rep outsb\n hlt\n";
        try (TestVm t = new TestVm(16 << 20)) {
            byte[] code = Asm.assemble(src);
            t.load(0x100000, code);
            t.longMode(0x100000, 0x300000);
            long[] at = new long[1];
            kickOnOut(t, 1, at);
            assertEquals(VcpuExit.INTERRUPTED, t.run());
            Registers r = t.vcpu.registers();
            long done = 300000 - r.rcx();
            assertTrue(done >= 1 && done <= 1024, "iterations before the kick was seen: " + done);
            assertEquals(0x200000 + done, r.rsi());
            assertEquals(done, t.ops.valuesAt(0x80).size());
            assertEquals(0x100000 + code.length - 3, r.rip(), "RIP stays on the REP OUTSB");
            t.ops.onOut = null;
            assertEquals(VcpuExit.HLT, t.run());
            assertEquals(0, t.vcpu.registers().rcx());
            assertEquals(300000, t.ops.valuesAt(0x80).size());
        }
    }

    @Test
    void injectedInterruptWakesHaltedGuestAndRunsItsHandler() {
        String src = ".code64\n lea handler(%rip), %rax\n mov $0x80400, %rdi\n mov %ax, (%rdi)\n"
                + " movw $0x08, 2(%rdi)\n movw $0x8e00, 4(%rdi)\n shr $16, %rax\n mov %ax, 6(%rdi)\n"
                + " shr $16, %rax\n mov %eax, 8(%rdi)\n movl $0, 12(%rdi)\n lidt idtr(%rip)\n"
                + " sti\n hlt\n mov $0x22, %al\n out %al, $0x82\n cli\n hlt\n"
                + "handler: mov $0x11, %al\n out %al, $0x81\n iretq\n"
                + "idtr: .word 0xfff\n .quad 0x80000\n";
        try (TestVm t = new TestVm(16 << 20)) {
            t.load(0x100000, Asm.assemble(src));
            t.longMode(0x100000, 0x200000);
            assertEquals(VcpuExit.HLT, t.run());
            assertEquals(ActivityState.HALTED, t.vcpu.saveState().activity());
            assertTrue(t.vcpu.injectInterrupt(0x40));
            assertFalse(t.vcpu.injectInterrupt(0x41), "one interrupt can be pending");
            assertEquals(VcpuExit.HLT, t.run());
            assertEquals(List.of(0x11L), t.ops.valuesAt(0x81));
            assertEquals(List.of(0x22L), t.ops.valuesAt(0x82));
            assertEquals(0x200000, t.vcpu.registers().rsp(), "IRETQ restored the stack");
        }
    }

    @Test
    void tscRunsAtItsRateAndNeverGoesBack() {
        long[] now = {1_000_000_000L};
        Tsc tsc = new Tsc(2_445_430, () -> now[0]);
        tsc.set(1000);
        now[0] += 1_000_000;   // 1 ms
        assertEquals(1000 + 2_445_430, tsc.read());
        tsc.setKhz(1_000_000);
        long v = tsc.read();
        now[0] += 1_000_000_000L;
        assertEquals(v + 1_000_000_000L, tsc.read());
        now[0] -= 5_000_000_000L;   // a clock that jumps back: the TSC holds
        assertEquals(v + 1_000_000_000L, tsc.read());
    }

    @Test
    void savedTscIsMonotonicAndRestoreContinuesFromIt() {
        try (TestVm a = new TestVm(1 << 20); TestVm b = new TestVm(1 << 20)) {
            a.load(0x1000, Asm.assemble(".code16\n hlt\n"));
            a.realMode(0x1000);
            CpuState s1 = a.vcpu.saveState();
            CpuState s2 = a.vcpu.saveState();
            assertTrue(s1.tsc() >= 0 && s2.tsc() >= s1.tsc());
            long far = s2.tsc() + (1L << 40);
            HvVcpu v = b.vcpu;
            v.restoreState(withTsc(s2, far));
            assertTrue(v.saveState().tsc() >= far);
            assertEquals(a.vcpu.registers(), v.registers());
            assertEquals(a.vcpu.systemRegisters(), v.systemRegisters());
        }
    }

    private static CpuState withTsc(CpuState s, long tsc) {
        List<org.jkvm.hypervisor.x86.Msr> msrs = new java.util.ArrayList<>();
        for (org.jkvm.hypervisor.x86.Msr m : s.msrs()) {
            msrs.add(m.index() == org.jkvm.hypervisor.x86.Msr.IA32_TSC ? new org.jkvm.hypervisor.x86.Msr(m.index(),
                    tsc) : m);
        }
        msrs.add(new org.jkvm.hypervisor.x86.Msr(0x4b564d01, 0x1234));   // kvmclock: not ours, carried
        return new CpuState(s.registers(), s.system(), s.fpu(), s.xcr0(), msrs, s.events(), s.activity(), s.debug());
    }

    @Test
    void activityStatesRoundTripAndWaitForSipiRunsNothing() {
        try (TestVm t = new TestVm(1 << 20)) {
            t.load(0x1000, Asm.assemble(".code16\n mov $1, %al\n out %al, $0x80\n hlt\n"));
            t.realMode(0x1000);
            CpuState s = t.vcpu.saveState();
            for (ActivityState a : ActivityState.values()) {
                t.vcpu.restoreState(new CpuState(s.registers(), s.system(), s.fpu(), s.xcr0(), s.msrs(), s.events(),
                        a, s.debug()));
                assertEquals(a, t.vcpu.saveState().activity());
            }
            t.vcpu.restoreState(new CpuState(s.registers(), s.system(), s.fpu(), s.xcr0(), s.msrs(), s.events(),
                    ActivityState.WAIT_FOR_SIPI, s.debug()));
            t.vcpu.kick();
            assertEquals(VcpuExit.INTERRUPTED, t.vcpu.run());
            assertEquals(0, t.ops.valuesAt(0x80).size(), "a vCPU waiting for SIPI executes nothing");
            t.vcpu.restoreState(s);
            assertEquals(VcpuExit.HLT, t.run());
            assertEquals(List.of(1L), t.ops.valuesAt(0x80));
        }
    }
}
