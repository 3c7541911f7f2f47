package org.jkvm.kvm.hv;

import java.util.Arrays;
import java.util.List;

import org.jkvm.hypervisor.x86.CpuidEntry;
import org.jkvm.hypervisor.x86.DebugRegisters;
import org.jkvm.hypervisor.x86.DescriptorTable;
import org.jkvm.hypervisor.x86.Msr;
import org.jkvm.hypervisor.x86.Registers;
import org.jkvm.hypervisor.x86.SegmentRegister;
import org.jkvm.hypervisor.x86.SystemRegisters;
import org.jkvm.hypervisor.x86.XsaveArea;
import org.jkvm.kvm.DebugRegs;
import org.jkvm.kvm.Dtable;
import org.jkvm.kvm.MsrEntry;
import org.jkvm.kvm.Regs;
import org.jkvm.kvm.Segment;
import org.jkvm.kvm.Sregs;
import org.jkvm.kvm.Xcrs;
import org.jkvm.kvm.Xsave;

/**
 * Conversions between KVM's uapi structures and the architectural records of the seam, for registers, segments,
 * descriptor tables, control registers, the XSAVE area, XCR0, MSRs, CPUID leaves and debug registers (events and
 * the MP state are in {@link KvmEvents}). Every conversion keeps every bit the two sides share, so a round trip is
 * exact. Stateless.
 */
final class KvmConvert {
    /** {@code KVM_CPUID_FLAG_SIGNIFCANT_INDEX}. */
    private static final int FLAG_INDEXED = org.jkvm.kvm.CpuidEntry.FLAG_SIGNIFCANT_INDEX;
    /** XCR0 with only x87 enabled: its value after reset, and what a CPU without XSAVE implies. */
    static final long XCR0_X87 = 1;

    private KvmConvert() {
    }

    /** {@code kvm_regs} as architectural registers (the same 18 values). */
    static Registers registers(Regs r) {
        return new Registers(r.rax(), r.rbx(), r.rcx(), r.rdx(), r.rsi(), r.rdi(), r.rsp(), r.rbp(), r.r8(), r.r9(),
                r.r10(), r.r11(), r.r12(), r.r13(), r.r14(), r.r15(), r.rip(), r.rflags());
    }

    /** Architectural registers as {@code kvm_regs}. */
    static Regs regs(Registers r) {
        return new Regs(r.rax(), r.rbx(), r.rcx(), r.rdx(), r.rsi(), r.rdi(), r.rsp(), r.rbp(), r.r8(), r.r9(),
                r.r10(), r.r11(), r.r12(), r.r13(), r.r14(), r.r15(), r.rip(), r.rflags());
    }

    /**
     * A {@code kvm_segment} as a segment register: KVM keeps the descriptor cache field by field (flags as bytes
     * that are 0 or 1), with the limit already scaled to bytes, as the record does.
     */
    static SegmentRegister segment(Segment s) {
        return new SegmentRegister(s.selector(), s.base(), s.limit(), s.type(), s.s() != 0, s.dpl(),
                s.present() != 0, s.avl() != 0, s.l() != 0, s.db() != 0, s.g() != 0, s.unusable() != 0);
    }

    /** A segment register as a {@code kvm_segment}. */
    static Segment segment(SegmentRegister s) {
        return new Segment(s.base(), s.limit(), s.selector(), s.type(), bit(s.present()), s.dpl(), bit(s.db()),
                bit(s.s()), bit(s.l()), bit(s.g()), bit(s.avl()), bit(s.unusable()));
    }

    /** A {@code kvm_dtable} as GDTR/IDTR. */
    static DescriptorTable table(Dtable d) {
        return new DescriptorTable(d.base(), d.limit());
    }

    /** GDTR/IDTR as a {@code kvm_dtable}. */
    static Dtable dtable(DescriptorTable t) {
        return new Dtable(t.base(), t.limit());
    }

    /**
     * {@code kvm_sregs} as system registers. Its {@code interrupt_bitmap} is not part of them: KVM reports there
     * the external interrupt whose injection it has queued, which is the same interrupt as
     * {@code kvm_vcpu_events.interrupt} when that is not soft, so the events carry it ({@link KvmEvents}).
     */
    static SystemRegisters systemRegisters(Sregs s) {
        return new SystemRegisters(segment(s.cs()), segment(s.ds()), segment(s.es()), segment(s.fs()),
                segment(s.gs()), segment(s.ss()), segment(s.tr()), segment(s.ldt()), table(s.gdt()), table(s.idt()),
                s.cr0(), s.cr2(), s.cr3(), s.cr4(), s.cr8(), s.efer(), s.apicBase());
    }

    /**
     * System registers as {@code kvm_sregs}, with {@code injectedVector}'s bit set in {@code interrupt_bitmap} (as
     * KVM itself reports a queued external interrupt), or an empty bitmap for -1. An empty bitmap leaves KVM's
     * queued interrupt as it is; {@code KVM_SET_VCPU_EVENTS} sets it exactly afterwards.
     */
    static Sregs sregs(SystemRegisters s, int injectedVector) {
        long[] bitmap = new long[4];
        if (injectedVector >= 0) {
            bitmap[injectedVector >>> 6] = 1L << (injectedVector & 63);
        }
        return new Sregs(segment(s.cs()), segment(s.ds()), segment(s.es()), segment(s.fs()), segment(s.gs()),
                segment(s.ss()), segment(s.tr()), segment(s.ldt()), dtable(s.gdt()), dtable(s.idt()), s.cr0(),
                s.cr2(), s.cr3(), s.cr4(), s.cr8(), s.efer(), s.apicBase(), bitmap);
    }

    /** The lowest vector set in a {@code kvm_sregs.interrupt_bitmap}, or -1 when none is. */
    static int bitmapVector(long[] bitmap) {
        for (int w = 0; w < bitmap.length; w++) {
            if (bitmap[w] != 0) {
                return w * 64 + Long.numberOfTrailingZeros(bitmap[w]);
            }
        }
        return -1;
    }

    /**
     * KVM's XSAVE area as the architectural one: {@code struct kvm_xsave} is the standard (non-compacted) XSAVE
     * format already, so the bytes are the same, padded with zeros to a multiple of 64 bytes if KVM's size is not.
     */
    static XsaveArea xsaveArea(Xsave x) {
        byte[] b = x.bytes();
        return new XsaveArea(b.length % 64 == 0 ? b : Arrays.copyOf(b, (b.length + 63) / 64 * 64));
    }

    /**
     * An architectural XSAVE area in KVM's size for this vCPU: a smaller area (the software CPU's) is padded with
     * zeros, whose components XSTATE_BV marks as in their initial state; a larger one is truncated, which drops
     * only components this host's KVM does not have.
     *
     * @param kvmSize the vCPU's {@code kvm_xsave} size (4096, or more with {@code KVM_CAP_XSAVE2})
     */
    static Xsave xsave(XsaveArea a, int kvmSize) {
        byte[] b = a.bytes();
        return new Xsave(b.length == kvmSize ? b : Arrays.copyOf(b, kvmSize));
    }

    /** XCR0 from {@code kvm_xcrs} (x87 only when KVM lists no XCR0, as on a host without XSAVE). */
    static long xcr0(Xcrs x) {
        for (Xcrs.Xcr r : x.xcrs()) {
            if (r.xcr() == 0) {
                return r.value();
            }
        }
        return XCR0_X87;
    }

    /** {@code kvm_xcrs} holding XCR0 only (the only extended control register defined). */
    static Xcrs xcrs(long xcr0) {
        return new Xcrs(List.of(new Xcrs.Xcr(0, xcr0)), 0);
    }

    /** A {@code kvm_msr_entry} as an MSR value. */
    static Msr msr(MsrEntry e) {
        return new Msr(e.index(), e.data());
    }

    /** An MSR value as a {@code kvm_msr_entry}. */
    static MsrEntry msrEntry(Msr m) {
        return new MsrEntry(m.index(), m.value());
    }

    /**
     * A {@code kvm_cpuid_entry2} as a CPUID leaf: {@code KVM_CPUID_FLAG_SIGNIFCANT_INDEX} becomes
     * {@code indexed}. KVM's other flags (the stateful leaf 2 of CPUs older than any KVM host today) are dropped.
     */
    static CpuidEntry cpuid(org.jkvm.kvm.CpuidEntry e) {
        return new CpuidEntry(e.function(), e.index(), (e.flags() & FLAG_INDEXED) != 0, e.eax(), e.ebx(), e.ecx(),
                e.edx());
    }

    /** A CPUID leaf as a {@code kvm_cpuid_entry2}. */
    static org.jkvm.kvm.CpuidEntry kvmCpuid(CpuidEntry e) {
        return new org.jkvm.kvm.CpuidEntry(e.function(), e.index(), e.indexed() ? FLAG_INDEXED : 0, e.eax(), e.ebx(),
                e.ecx(), e.edx());
    }

    /** {@code kvm_debugregs} as the debug registers ({@code flags}, always 0, is dropped). */
    static DebugRegisters debug(DebugRegs d) {
        long[] db = d.db();
        return new DebugRegisters(db[0], db[1], db[2], db[3], d.dr6(), d.dr7());
    }

    /** The debug registers as {@code kvm_debugregs}. */
    static DebugRegs debugRegs(DebugRegisters d) {
        return new DebugRegs(new long[] {d.dr0(), d.dr1(), d.dr2(), d.dr3()}, d.dr6(), d.dr7(), 0);
    }

    private static int bit(boolean b) {
        return b ? 1 : 0;
    }
}
