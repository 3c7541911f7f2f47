package org.jkvm.engine.vcpu;

import org.jkvm.hypervisor.HvVcpu;
import org.jkvm.hypervisor.x86.Registers;
import org.jkvm.hypervisor.x86.SystemRegisters;

/** A readable multi-line dump of a vCPU's registers, for the report of an unexpected exit. */
public final class RegisterDump {
    private RegisterDump() {
    }

    /** Reads and formats the registers of {@code vcpu} (on its own thread); never throws. */
    public static String of(HvVcpu vcpu) {
        try {
            return format(vcpu.registers(), vcpu.systemRegisters());
        } catch (RuntimeException e) {
            return "(registers unavailable: " + e.getMessage() + ")";
        }
    }

    /** Formats {@code r} and {@code s}, four registers per line. */
    public static String format(Registers r, SystemRegisters s) {
        StringBuilder b = new StringBuilder();
        b.append(String.format("RAX=%016x RBX=%016x RCX=%016x RDX=%016x%n", r.rax(), r.rbx(), r.rcx(), r.rdx()));
        b.append(String.format("RSI=%016x RDI=%016x RBP=%016x RSP=%016x%n", r.rsi(), r.rdi(), r.rbp(), r.rsp()));
        b.append(String.format("R8 =%016x R9 =%016x R10=%016x R11=%016x%n", r.r8(), r.r9(), r.r10(), r.r11()));
        b.append(String.format("R12=%016x R13=%016x R14=%016x R15=%016x%n", r.r12(), r.r13(), r.r14(), r.r15()));
        b.append(String.format("RIP=%016x RFL=%08x%n", r.rip(), r.rflags()));
        b.append(String.format("CS =%04x base=%x l=%d db=%d  SS=%04x DS=%04x%n", s.cs().selector(), s.cs().base(),
                s.cs().l() ? 1 : 0, s.cs().db() ? 1 : 0, s.ss().selector(), s.ds().selector()));
        b.append(String.format("CR0=%08x CR2=%016x CR3=%016x CR4=%08x EFER=%x%n", s.cr0(), s.cr2(), s.cr3(),
                s.cr4(), s.efer()));
        b.append(String.format("GDT=%016x/%x IDT=%016x/%x", s.gdt().base(), s.gdt().limit(), s.idt().base(),
                s.idt().limit()));
        return b.toString();
    }
}
