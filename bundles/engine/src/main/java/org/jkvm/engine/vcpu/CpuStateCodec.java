package org.jkvm.engine.vcpu;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.hypervisor.x86.ActivityState;
import org.jkvm.hypervisor.x86.CpuState;
import org.jkvm.hypervisor.x86.DebugRegisters;
import org.jkvm.hypervisor.x86.DescriptorTable;
import org.jkvm.hypervisor.x86.Msr;
import org.jkvm.hypervisor.x86.PendingEvents;
import org.jkvm.hypervisor.x86.PendingEvents.ExceptionEvent;
import org.jkvm.hypervisor.x86.Registers;
import org.jkvm.hypervisor.x86.SegmentRegister;
import org.jkvm.hypervisor.x86.SystemRegisters;
import org.jkvm.hypervisor.x86.XsaveArea;
import org.jkvm.vmstate.StateReader;
import org.jkvm.vmstate.StateWriter;

/**
 * The {@code cpu} section, version 2: the architectural state of one vCPU ({@link CpuState}), whichever backend
 * saved it, in {@link StateWriter}'s big-endian encoding. docs/migration-stream.md §2.5a has the table.
 *
 * <pre>
 * registers  18 x u64: rax rbx rcx rdx rsi rdi rsp rbp r8-r15 rip rflags
 * segments   8 x (u16 selector, u64 base, u32 limit, u32 attributes): cs ds es fs gs ss tr ldtr
 *            attributes: bits 0-3 type, 4 S, 5-6 DPL, 7 P, 12 AVL, 13 L, 14 D/B, 15 G, 16 unusable; others 0
 * tables     gdtr, idtr: u64 base, u16 limit
 * control    7 x u64: cr0 cr2 cr3 cr4 cr8 efer apic_base
 * xcr0       u64
 * xsave      blob32: the standard-format XSAVE area, 576 to 1 MiB, a multiple of 64
 * msrs       u32 n (at most 1024), n x (u32 index, u64 value)
 * exception  bool present, u8 vector (0-31), bool injected, bool has_error_code, u32 error_code,
 *            bool has_payload, u64 payload                    (all zero when not present)
 * interrupts u32 injected (0xffffffff: none), bool injected_soft, u32 pending (0xffffffff: none)
 * nmi/shadow bool nmi_pending, bool nmi_injected, bool nmi_masked, bool sti_shadow, bool mov_ss_shadow
 * activity   u8: 0 active, 1 halted, 2 wait-for-SIPI, 3 shutdown
 * debug      6 x u64: dr0 dr1 dr2 dr3 dr6 dr7
 * </pre>
 *
 * <p>The decoder treats the payload as hostile: every count is capped before anything is allocated, every value
 * checked against its range, and the bytes it does not define must be zero, so that the writer reproduces any
 * payload it accepts byte for byte. Stateless.
 */
public final class CpuStateCodec {
    /** The version this codec writes. */
    public static final int VERSION = 2;
    /** Most MSRs a state may hold. */
    public static final int MAX_MSRS = 1024;
    private static final int NO_VECTOR = -1;
    private static final int ATTRIBUTE_BITS = 0x1f0ff;

    private CpuStateCodec() {
    }

    /** Writes {@code s} as version 2. */
    public static void encode(CpuState s, StateWriter out) {
        Registers r = s.registers();
        for (long v : new long[] {r.rax(), r.rbx(), r.rcx(), r.rdx(), r.rsi(), r.rdi(), r.rsp(), r.rbp(), r.r8(),
            r.r9(), r.r10(), r.r11(), r.r12(), r.r13(), r.r14(), r.r15(), r.rip(), r.rflags()}) {
            out.u64(v);
        }
        SystemRegisters sys = s.system();
        for (SegmentRegister seg : segments(sys)) {
            out.u16(seg.selector()).u64(seg.base()).u32(seg.limit()).u32(seg.accessRights());
        }
        out.u64(sys.gdt().base()).u16(sys.gdt().limit()).u64(sys.idt().base()).u16(sys.idt().limit());
        out.u64(sys.cr0()).u64(sys.cr2()).u64(sys.cr3()).u64(sys.cr4()).u64(sys.cr8()).u64(sys.efer())
                .u64(sys.apicBase());
        out.u64(s.xcr0());
        out.bytes(s.fpu().bytes());
        out.u32(s.msrs().size());
        for (Msr m : s.msrs()) {
            out.u32(m.index()).u64(m.value());
        }
        encodeEvents(s.events(), out);
        out.u8(s.activity().ordinal());
        DebugRegisters d = s.debug();
        out.u64(d.dr0()).u64(d.dr1()).u64(d.dr2()).u64(d.dr3()).u64(d.dr6()).u64(d.dr7());
    }

    private static void encodeEvents(PendingEvents p, StateWriter out) {
        ExceptionEvent e = p.exception();
        if (e == null) {
            out.bool(false).u8(0).bool(false).bool(false).u32(0).bool(false).u64(0);
        } else {
            out.bool(true).u8(e.vector()).bool(e.injected()).bool(e.hasErrorCode()).u32(e.errorCode())
                    .bool(e.hasPayload()).u64(e.payload());
        }
        out.u32(p.injectedInterrupt()).bool(p.injectedSoft()).u32(p.pendingInterrupt());
        out.bool(p.nmiPending()).bool(p.nmiInjected()).bool(p.nmiMasked()).bool(p.stiShadow())
                .bool(p.movSsShadow());
    }

    /**
     * Reads a version-2 payload.
     *
     * @throws org.jkvm.vmstate.VmStateException naming the offset and the bad value when the payload is malformed
     */
    public static CpuState decode(StateReader in) {
        long[] g = new long[18];
        for (int i = 0; i < g.length; i++) {
            g[i] = in.u64();
        }
        Registers regs = new Registers(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11],
                g[12], g[13], g[14], g[15], g[16], g[17]);
        SegmentRegister[] seg = new SegmentRegister[8];
        for (int i = 0; i < seg.length; i++) {
            seg[i] = segment(in, i);
        }
        DescriptorTable gdt = new DescriptorTable(in.u64(), in.u16());
        DescriptorTable idt = new DescriptorTable(in.u64(), in.u16());
        long[] c = new long[7];
        for (int i = 0; i < c.length; i++) {
            c[i] = in.u64();
        }
        SystemRegisters sys = new SystemRegisters(seg[0], seg[1], seg[2], seg[3], seg[4], seg[5], seg[6], seg[7],
                gdt, idt, c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
        long xcr0 = in.u64();
        XsaveArea fpu = xsave(in);
        List<Msr> msrs = msrs(in);
        PendingEvents events = events(in);
        int activity = in.u8();
        if (activity >= ActivityState.values().length) {
            throw in.corrupt("vCPU activity state " + activity + " is not 0-" + (ActivityState.values().length - 1));
        }
        DebugRegisters debug = new DebugRegisters(in.u64(), in.u64(), in.u64(), in.u64(), in.u64(), in.u64());
        return new CpuState(regs, sys, fpu, xcr0, msrs, events, ActivityState.values()[activity], debug);
    }

    private static SegmentRegister segment(StateReader in, int index) {
        int selector = in.u16();
        long base = in.u64();
        int limit = in.u32();
        int at = in.position();
        int attributes = in.u32();
        if ((attributes & ~ATTRIBUTE_BITS) != 0) {
            throw in.corrupt("segment register " + index + " has attributes 0x" + Integer.toHexString(attributes)
                    + " with undefined bits set (offset " + at + ")");
        }
        return SegmentRegister.fromAccessRights(selector, base, limit, attributes);
    }

    private static XsaveArea xsave(StateReader in) {
        int at = in.position();
        byte[] area = in.bytes(XsaveArea.MAX_SIZE);
        if (area.length < XsaveArea.MIN_SIZE || area.length % 64 != 0) {
            throw in.corrupt("the XSAVE area at offset " + at + " is " + area.length + " bytes; it must be "
                    + XsaveArea.MIN_SIZE + " to " + XsaveArea.MAX_SIZE + " and a multiple of 64");
        }
        return new XsaveArea(area);
    }

    static List<Msr> msrs(StateReader in) {
        int n = in.u32();
        if (n < 0 || n > MAX_MSRS) {
            throw in.corrupt("the vCPU state lists " + Integer.toUnsignedString(n) + " MSRs, more than "
                    + MAX_MSRS);
        }
        List<Msr> msrs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            msrs.add(new Msr(in.u32(), in.u64()));
        }
        return msrs;
    }

    private static PendingEvents events(StateReader in) {
        int at = in.position();
        boolean present = in.bool();
        int vector = in.u8();
        boolean injected = in.bool();
        boolean hasErrorCode = in.bool();
        int errorCode = in.u32();
        boolean hasPayload = in.bool();
        long payload = in.u64();
        ExceptionEvent exception = null;
        if (present) {
            if (vector > 31) {
                throw in.corrupt("the pending exception at offset " + at + " has vector " + vector + ", not 0-31");
            }
            exception = new ExceptionEvent(vector, injected, hasErrorCode, errorCode, hasPayload, payload);
        } else if (vector != 0 || injected || hasErrorCode || errorCode != 0 || hasPayload || payload != 0) {
            throw in.corrupt("the absent exception at offset " + at + " has non-zero fields");
        }
        int injectedInterrupt = vector(in, "injected");
        boolean soft = in.bool();
        int pendingInterrupt = vector(in, "pending");
        if (injectedInterrupt == NO_VECTOR && soft) {
            throw in.corrupt("a soft interrupt is marked without an injected interrupt");
        }
        return new PendingEvents(exception, injectedInterrupt, soft, pendingInterrupt, in.bool(), in.bool(),
                in.bool(), in.bool(), in.bool());
    }

    private static int vector(StateReader in, String which) {
        int at = in.position();
        int v = in.u32();
        if (v != NO_VECTOR && (v < 0 || v > 255)) {
            throw in.corrupt("the " + which + " interrupt at offset " + at + " is 0x" + Integer.toHexString(v)
                    + ", not 0-255 or 0xffffffff (none)");
        }
        return v;
    }

    private static SegmentRegister[] segments(SystemRegisters s) {
        return new SegmentRegister[] {s.cs(), s.ds(), s.es(), s.fs(), s.gs(), s.ss(), s.tr(), s.ldt()};
    }
}
