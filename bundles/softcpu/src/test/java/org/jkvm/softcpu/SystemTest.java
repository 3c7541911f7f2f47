package org.jkvm.softcpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.hypervisor.x86.ActivityState;
import org.junit.jupiter.api.Test;

/** Exceptions and system instructions: real-mode IVT, triple fault, SYSCALL/SYSRET, self-modifying code, #GP. */
class SystemTest {
    private static long last(TestVm t, int port) {
        List<Long> v = t.ops.valuesAt(port);
        return v.isEmpty() ? -1 : v.get(v.size() - 1);
    }

    @Test
    void realModeSoftwareInterruptAndExceptionGoThroughTheIvt() {
        // IVT[0x21] -> int21 (OUT 0x21, IRET); IVT[6] (#UD) -> ud (OUT the pushed IP and FLAGS, HLT).
        String src = ".code16\n movw $(int21 - start + 0x1000), 0x84\n movw $0, 0x86\n"
                + " movw $(ud - start + 0x1000), 0x18\n movw $0, 0x1a\n"
                + " sti\n int $0x21\n mov $0x5a, %al\n out %al, $0x22\n"
                + "bad: ud2\n"
                + "int21: mov $0x21, %al\n out %al, $0x21\n iret\n"
                + "ud: pop %ax\n out %ax, $0x23\n pop %ax\n pop %ax\n out %ax, $0x24\n pushf\n pop %ax\n"
                + " out %ax, $0x25\n hlt\n";
        String full = "start:\n" + src;
        try (TestVm t = new TestVm(1 << 20)) {
            byte[] code = Asm.assemble32(full.replace("start:\n.code16", ".code16\nstart:"));
            t.load(0x1000, code);
            t.realMode(0x1000);
            assertEquals(VcpuExit.HLT, t.run(), t.vcpu::exitDetail);
            assertEquals(0x21, last(t, 0x21));
            assertEquals(0x5a, last(t, 0x22));
            int badIp = indexOf(code, new byte[] {0x0f, 0x0b}) + 0x1000;
            assertEquals(badIp, last(t, 0x23), "#UD is a fault: the pushed IP is the UD2's");
            assertEquals(0x200, last(t, 0x24) & 0x200, "IF was set in the pushed FLAGS");
            assertEquals(0, last(t, 0x25) & 0x200, "the handler runs with IF clear");
        }
    }

    private static int indexOf(byte[] a, byte[] b) {
        outer:
        for (int i = 0; i <= a.length - b.length; i++) {
            for (int j = 0; j < b.length; j++) {
                if (a[i + j] != b[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void tripleFaultShutsDown() {
        // An empty IDT: the #UD cannot be delivered (#GP), nor the #GP (#DF), nor the #DF: shutdown.
        try (TestVm t = new TestVm(16 << 20)) {
            t.load(0x100000, Asm.assemble(".code64\n lidt idtr(%rip)\n ud2\nidtr: .word 0\n .quad 0\n"));
            t.longMode(0x100000, 0x200000);
            assertEquals(VcpuExit.SHUTDOWN, t.run());
            String why = t.vcpu.exitDetail();
            assertTrue(why.contains("triple") && why.contains("#DF") && why.contains("RIP 0x10000"), why);
            assertEquals(ActivityState.SHUTDOWN, t.vcpu.saveState().activity());
            assertEquals(VcpuExit.SHUTDOWN, t.run(), "a shut-down CPU stays shut down");
        }
    }

    @Test
    void syscallAndSysretMoveBetweenRings() {
        // Ring 0 sets STAR/LSTAR/FMASK and EFER.SCE, SYSRETs to ring 3 (code page and stack mapped for user),
        // ring 3 runs SYSCALL; the handler reports RCX, R11, CS and RFLAGS.
        String src = ".code64\n mov $0xc0000080, %ecx\n rdmsr\n or $1, %eax\n wrmsr\n"
                + " mov $0xc0000081, %ecx\n xor %eax, %eax\n mov $0x00280008, %edx\n wrmsr\n"
                + " mov $0xc0000082, %ecx\n lea handler(%rip), %rax\n mov %rax, %rdx\n shr $32, %rdx\n wrmsr\n"
                + " mov $0xc0000084, %ecx\n mov $0x400, %eax\n xor %edx, %edx\n wrmsr\n"
                + " lea user(%rip), %rcx\n sub $0x100000, %rcx\n movabs $0x8080001000, %rax\n add %rax, %rcx\n"
                + " mov $0x602, %r11d\n sysretq\n"
                + "user: movabs $0x8080003000, %rsp\n std\n syscall\n"
                + "after: hlt\n"
                + "handler: mov %rcx, %rax\n out %eax, $0xc1\n mov %r11, %rax\n out %eax, $0xc2\n"
                + " mov %cs, %ax\n out %ax, $0xc3\n pushf\n pop %rax\n out %eax, $0xc4\n mov %ss, %ax\n"
                + " out %ax, $0xc5\n hlt\n";
        try (TestVm t = new TestVm(32L << 20)) {
            byte[] code = Asm.assemble(src);
            t.load(0x100000, code);
            t.longMode(0x100000, 0x200000);
            Mem m = new Mem(t.memory);
            m.w64(0x70008, 0x73000 | 7);
            m.w64(0x73010, 0x75000 | 7);
            m.w64(0x75000, 0x76000 | 7);
            m.w64(0x76008, 0x100000 | 7);
            m.w64(0x76010, 0x2d0000 | 7);
            assertEquals(VcpuExit.HLT, t.run(), t.vcpu::exitDetail);
            int afterOff = indexOf(code, new byte[] {0x0f, 0x05}) + 2;
            assertEquals(0x80001000L + afterOff, last(t, 0xc1), "RCX = the RIP after SYSCALL (low half)");
            assertEquals(0x602 | 0x400, last(t, 0xc2) & 0xfff, "R11 = RFLAGS at SYSCALL (DF set by the user)");
            assertEquals(0x08, last(t, 0xc3));
            assertEquals(0, last(t, 0xc4) & 0x400, "FMASK cleared DF");
            assertEquals(0x10, last(t, 0xc5));
        }
    }

    @Test
    void selfModifyingCodeInTheSameBlockAndThroughRepMovs() {
        String src = ".code64\n movb $0x42, patch+1(%rip)\n"
                + "patch: mov $0x11, %al\n out %al, $0x80\n"
                + " call fn\n out %al, $0x81\n"
                + " lea newfn(%rip), %rsi\n lea fn(%rip), %rdi\n mov $3, %ecx\n rep movsb\n"
                + " call fn\n out %al, $0x81\n hlt\n"
                + "fn: mov $0x01, %al\n ret\n"
                + "newfn: mov $0x02, %al\n ret\n";
        try (TestVm t = new TestVm(16 << 20)) {
            t.load(0x100000, Asm.assemble(src));
            t.longMode(0x100000, 0x200000);
            assertEquals(VcpuExit.HLT, t.run(), t.vcpu::exitDetail);
            assertEquals(List.of(0x42L), t.ops.valuesAt(0x80), "the store changed the next instruction");
            assertEquals(List.of(1L, 2L), t.ops.valuesAt(0x81), "REP MOVSB replaced a function already run");
        }
    }

    @Test
    void reservedControlBitsAndUnknownMsrsRaiseGp() {
        // #GP handler (vector 13): OUT the error code and the faulting RIP, skip 3 bytes, IRETQ.
        String src = ".code64\n lea gp(%rip), %rax\n mov $0x800d0, %rdi\n mov %ax, (%rdi)\n movw $8, 2(%rdi)\n"
                + " movw $0x8e00, 4(%rdi)\n shr $16, %rax\n mov %ax, 6(%rdi)\n shr $16, %rax\n mov %eax, 8(%rdi)\n"
                + " movl $0, 12(%rdi)\n lidt idtr(%rip)\n"
                + " mov $0x1000000, %rax\n mov %rax, %cr4\n nop\n"
                + " mov $0x12345678, %ecx\n rdmsr\n nop\n hlt\n"
                + "gp: pop %rax\n out %eax, $0xd1\n mov (%rsp), %rax\n out %eax, $0xd2\n addq $3, (%rsp)\n iretq\n"
                + "idtr: .word 0xfff\n .quad 0x80000\n";
        try (TestVm t = new TestVm(16 << 20)) {
            byte[] code = Asm.assemble(src);
            t.load(0x100000, code);
            t.longMode(0x100000, 0x200000);
            assertEquals(VcpuExit.HLT, t.run(), t.vcpu::exitDetail);
            int movCr4 = indexOf(code, new byte[] {0x0f, 0x22, (byte) 0xe0});
            int rdmsr = indexOf(code, new byte[] {0x0f, 0x32});
            assertEquals(List.of(0L, 0L), t.ops.valuesAt(0xd1));
            assertEquals(List.of(0x100000L + movCr4, 0x100000L + rdmsr), t.ops.valuesAt(0xd2));
        }
    }

    @Test
    void codeRewrittenByTheVmmIsDecodedAgain() {
        // The guest calls fn (returns 1) and reports it (each report stops the run); the VMM (a device's DMA)
        // rewrites fn to return 2; the next run calls it again.
        String src = ".code64\n1: call fn\n out %al, $0x81\n jmp 1b\n"
                + ".org 0x100\nfn: mov $0x01, %al\n ret\n";
        try (TestVm t = new TestVm(16 << 20)) {
            t.load(0x100000, Asm.assemble(src));
            t.longMode(0x100000, 0x200000);
            t.ops.onOut = (port, n) -> t.vcpu.kick();
            assertEquals(VcpuExit.INTERRUPTED, t.run(), t.vcpu::exitDetail);
            t.memory.writeByte(0x100101, (byte) 2);
            assertEquals(VcpuExit.INTERRUPTED, t.run(), t.vcpu::exitDetail);
            assertEquals(List.of(1L, 2L), t.ops.valuesAt(0x81));
        }
    }

    @Test
    void trapFlagSingleStepsThroughDebugExceptions() {
        // #DB handler: OUT the return RIP, IRETQ (TF is restored from the frame, so every instruction traps).
        String src = ".code64\n lea db(%rip), %rax\n mov $0x80010, %rdi\n mov %ax, (%rdi)\n movw $8, 2(%rdi)\n"
                + " movw $0x8e00, 4(%rdi)\n shr $16, %rax\n mov %ax, 6(%rdi)\n shr $16, %rax\n mov %eax, 8(%rdi)\n"
                + " movl $0, 12(%rdi)\n lidt idtr(%rip)\n"
                + " pushf\n orq $0x100, (%rsp)\n popf\n"
                + "a: nop\nb: nop\nc: pushf\n andq $~0x100, (%rsp)\n popf\nd: nop\n hlt\n"
                + "db: mov (%rsp), %rax\n out %eax, $0xdb\n iretq\n"
                + "idtr: .word 0xfff\n .quad 0x80000\n";
        try (TestVm t = new TestVm(16 << 20)) {
            byte[] code = Asm.assemble(src);
            t.load(0x100000, code);
            t.longMode(0x100000, 0x200000);
            assertEquals(VcpuExit.HLT, t.run(), t.vcpu::exitDetail);
            List<Long> rips = t.ops.valuesAt(0xdb);
            // TF counts when an instruction begins: traps after nop a, nop b, pushf, andq and the POPF that clears
            // TF (not after the POPF that set it).
            assertEquals(5, rips.size(), rips.toString());
            assertEquals(rips.get(1) - rips.get(0), 1, "one trap per instruction");
            assertEquals(0x4000, t.vcpu.saveState().debug().dr6() & 0x4000, "DR6.BS");
        }
    }

    @Test
    void storeIntoCodeDecodedAfterTheStoresWriteEntryWasMadeIsSeen() {
        // The first store to 'target' happens while only the first 64 bytes of the page hold code (a cheap,
        // chunk-checked store); then 'target' is decoded; the second store must drop it.
        String src = ".code64\n movb $0x11, target+1(%rip)\n call target\n out %al, $0x80\n"
                + " movb $0x22, target+1(%rip)\n call target\n out %al, $0x80\n hlt\n"
                + ".org 0x200\ntarget: mov $0x00, %al\n ret\n";
        try (TestVm t = new TestVm(16 << 20)) {
            t.load(0x100000, Asm.assemble(src));
            t.longMode(0x100000, 0x200000);
            assertEquals(VcpuExit.HLT, t.run(), t.vcpu::exitDetail);
            assertEquals(List.of(0x11L, 0x22L), t.ops.valuesAt(0x80));
        }
    }

    @Test
    void iretqToCompatibilityModeAndFarJumpBack() {
        // 64-bit: IRETQ to CS 0x18 (32-bit code: compatibility mode) at 'compat'; it reports, reads its own CS,
        // and far-jumps to CS 0x08 (64-bit code) at 'back', which reports again.
        String src = ".code64\n mov %rsp, %rbx\n push $0x10\n push %rbx\n pushfq\n push $0x18\n"
                + " lea compat(%rip), %rax\n push %rax\n iretq\n"
                + ".code32\ncompat: mov $0x32, %al\n out %al, $0x90\n mov %cs, %ax\n out %ax, $0x91\n"
                + " ljmp $0x08, $(back - 0 + 0x100000)\n"
                + ".code64\nback: mov $0x64, %al\n out %al, $0x90\n movabs $0x123456789, %rax\n"
                + " shr $32, %rax\n out %eax, $0x92\n hlt\n";
        try (TestVm t = new TestVm(16 << 20)) {
            t.load(0x100000, Asm.assemble32(src));
            t.longMode(0x100000, 0x200000);
            assertEquals(VcpuExit.HLT, t.run(), t.vcpu::exitDetail);
            assertEquals(List.of(0x32L, 0x64L), t.ops.valuesAt(0x90));
            assertEquals(List.of(0x18L), t.ops.valuesAt(0x91));
            assertEquals(List.of(1L), t.ops.valuesAt(0x92), "64-bit registers work again after the far jump");
        }
    }

    @Test
    void iretWithABadStackSegmentFaultsBeforeChangingCs() {
        // IRETQ to ring 3 with SS 0x13 (a DPL-0 data segment): #GP(0x10) on the IRETQ itself, CS still 0x08.
        String src = ".code64\n lea gp(%rip), %rax\n mov $0x800d0, %rdi\n mov %ax, (%rdi)\n movw $8, 2(%rdi)\n"
                + " movw $0x8e00, 4(%rdi)\n shr $16, %rax\n mov %ax, 6(%rdi)\n shr $16, %rax\n mov %eax, 8(%rdi)\n"
                + " movl $0, 12(%rdi)\n lidt idtr(%rip)\n"
                + " push $0x13\n push $0x1f0000\n push $2\n push $0x33\n push $0x1234\n"
                + "bad: iretq\n"
                + "gp: pop %rax\n out %eax, $0xd1\n mov (%rsp), %rax\n out %eax, $0xd2\n mov 8(%rsp), %rax\n"
                + " out %eax, $0xd3\n hlt\n"
                + "idtr: .word 0xfff\n .quad 0x80000\n";
        try (TestVm t = new TestVm(16 << 20)) {
            byte[] code = Asm.assemble(src);
            t.load(0x100000, code);
            t.longMode(0x100000, 0x200000);
            assertEquals(VcpuExit.HLT, t.run(), t.vcpu::exitDetail);
            assertEquals(List.of(0x10L), t.ops.valuesAt(0xd1), "#GP(SS selector)");
            assertEquals(List.of(0x100000L + indexOf(code, new byte[] {0x48, (byte) 0xcf})), t.ops.valuesAt(0xd2));
            assertEquals(List.of(0x08L), t.ops.valuesAt(0xd3), "CS was not changed");
        }
    }

    @Test
    void repStosAndMovsAcrossPagesAndOverlappingForwardCopies() {
        String src = ".code64\n cld\n mov $0x5a, %al\n mov $0x300001, %rdi\n mov $10000, %ecx\n rep stosb\n"
                + " mov $0x1122334455667788, %rax\n mov $0x308000, %rdi\n mov $1500, %ecx\n rep stosq\n"
                + " mov $0x308000, %rsi\n mov $0x310003, %rdi\n mov $1500, %ecx\n rep movsq\n"
                + " mov $0x320000, %rsi\n mov $0x320001, %rdi\n mov $5000, %ecx\n rep movsb\n"
                + " mov %rsi, %rax\n out %eax, $0x80\n mov %rdi, %rax\n out %eax, $0x81\n hlt\n";
        try (TestVm t = new TestVm(16 << 20)) {
            t.load(0x100000, Asm.assemble(src));
            t.memory.writeByte(0x320000, (byte) 'a');
            t.memory.writeByte(0x320001, (byte) 'b');
            t.longMode(0x100000, 0x200000);
            assertEquals(VcpuExit.HLT, t.run(), t.vcpu::exitDetail);
            assertEquals(0, t.memory.readByte(0x300000));
            for (int k = 0; k < 10000; k += 97) {
                assertEquals(0x5a, t.memory.readByte(0x300001 + k));
            }
            assertEquals(0x5a, t.memory.readByte(0x300001 + 9999));
            assertEquals(0, t.memory.readByte(0x300001 + 10000));
            for (int k = 0; k < 1500; k += 37) {
                assertEquals(0x1122334455667788L, t.memory.readLongLE(0x310003 + 8L * k));
            }
            assertEquals(0x1122334455667788L, t.memory.readLongLE(0x310003 + 8L * 1499));
            for (int k = 0; k <= 5000; k += 101) {
                assertEquals('a', t.memory.readByte(0x320000 + k), "a forward overlapping MOVSB repeats the byte");
            }
            assertEquals(List.of(0x320000L + 5000), t.ops.valuesAt(0x80));
            assertEquals(List.of(0x320001L + 5000), t.ops.valuesAt(0x81));
        }
    }

    @Test
    void backwardRepMovsAndStosAcrossPages() {
        // The bzImage's move of itself up: STD; REP MOVSQ from the top of an overlapping source 0x3003 bytes
        // below; then a backward copy onto a lower overlapping address (it repeats the 3-quadword pattern), and
        // a backward STOSQ; RSI and RDI end one element below the last.
        String src = ".code64\n mov $0x330000, %rdi\n xor %eax, %eax\n mov $3000, %ecx\n"
                + "1: mov %eax, (%rdi, %rax, 8)\n inc %eax\n loop 1b\n"
                + " std\n lea 0x330000 + 8 * 2999, %rsi\n lea 0x333003 + 8 * 2999, %rdi\n mov $3000, %ecx\n"
                + " rep movsq\n mov %rsi, %rax\n out %eax, $0x80\n mov %rdi, %rax\n out %eax, $0x81\n"
                + " lea 0x340018 + 8 * 999, %rsi\n lea 0x340000 + 8 * 999, %rdi\n mov $1000, %ecx\n rep movsq\n"
                + " mov $0x7766554433221100, %rax\n lea 0x350000 + 8 * 1999, %rdi\n mov $2000, %ecx\n rep stosq\n"
                + " mov %rdi, %rax\n out %eax, $0x82\n cld\n hlt\n";
        try (TestVm t = new TestVm(16 << 20)) {
            t.load(0x100000, Asm.assemble(src));
            for (int k = 0; k < 1003; k++) {
                t.memory.writeLongLE(0x340000 + 8L * k, k);
            }
            t.longMode(0x100000, 0x200000);
            assertEquals(VcpuExit.HLT, t.run(), t.vcpu::exitDetail);
            for (int k = 0; k < 3000; k += 7) {
                assertEquals(k, t.memory.readLongLE(0x333003 + 8L * k), "moved up: element " + k);
            }
            assertEquals(List.of(0x330000L - 8), t.ops.valuesAt(0x80));
            assertEquals(List.of(0x333003L - 8), t.ops.valuesAt(0x81));
            for (int k = 0; k < 1000; k++) {
                // Element k takes element k + 3 after that one took its own: the top three repeat all the way down.
                assertEquals(1000 + (k + 2) % 3, t.memory.readLongLE(0x340000 + 8L * k), "element " + k);
            }
            for (int k = -1; k <= 2000; k++) {
                assertEquals(k < 0 || k == 2000 ? 0 : 0x7766554433221100L, t.memory.readLongLE(0x350000 + 8L * k));
            }
            assertEquals(List.of(0x350000L - 8), t.ops.valuesAt(0x82));
        }
    }
}
