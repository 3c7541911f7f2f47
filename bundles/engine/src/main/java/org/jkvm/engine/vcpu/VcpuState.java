package org.jkvm.engine.vcpu;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.kvm.DebugRegs;
import org.jkvm.kvm.Fpu;
import org.jkvm.kvm.MpState;
import org.jkvm.kvm.MsrEntry;
import org.jkvm.kvm.Regs;
import org.jkvm.kvm.Sregs;
import org.jkvm.kvm.VcpuEvents;
import org.jkvm.kvm.VcpuFd;
import org.jkvm.kvm.Xcrs;
import org.jkvm.kvm.Xsave;
import org.jkvm.vmstate.StateReader;
import org.jkvm.vmstate.StateWriter;

/**
 * Everything KVM holds for one x86 vCPU, version {@link #VERSION}: general registers, segment/control registers,
 * FPU, XSAVE area, XCRs, MSRs (including IA32_TSC, so guest time continues), pending events, MP state and debug
 * registers.
 *
 * <p>{@link #save} reads and {@link #restore} writes them in the order KVM needs (regs, xsave, xcrs, sregs, MSRs,
 * MP state, events, debug registers), on the vCPU's own thread while it is paused.
 *
 * @param regs    KVM_GET_REGS
 * @param sregs   KVM_GET_SREGS
 * @param fpu     KVM_GET_FPU
 * @param xsave   KVM_GET_XSAVE(2)
 * @param xcrs    KVM_GET_XCRS
 * @param msrs    KVM_GET_MSRS over the MSR index list
 * @param events  KVM_GET_VCPU_EVENTS
 * @param mpState KVM_GET_MP_STATE
 * @param debug   KVM_GET_DEBUGREGS
 */
public record VcpuState(Regs regs, Sregs sregs, Fpu fpu, Xsave xsave, Xcrs xcrs, List<MsrEntry> msrs,
        VcpuEvents events, MpState mpState, DebugRegs debug) {
    /** The encoding version. */
    public static final int VERSION = 1;
    /** Most MSRs an encoded state may hold. */
    public static final int MAX_MSRS = 1024;
    private static final int MAX_PART_BYTES = 1 << 20;

    /** Copies the MSR list. */
    public VcpuState {
        msrs = List.copyOf(msrs);
    }

    /**
     * Reads the whole state from {@code vcpu}. MSRs the kernel cannot read are skipped one by one (it stops at
     * the first such MSR).
     *
     * @param msrIndices the MSRs to save (KVM_GET_MSR_INDEX_LIST)
     */
    public static VcpuState save(VcpuFd vcpu, int[] msrIndices) {
        List<MsrEntry> msrs = new ArrayList<>();
        int from = 0;
        while (from < msrIndices.length) {
            int[] rest = java.util.Arrays.copyOfRange(msrIndices, from, msrIndices.length);
            List<MsrEntry> got = vcpu.getMsrs(rest);
            msrs.addAll(got);
            from += got.size() + 1; // skip the MSR the kernel stopped at
        }
        return new VcpuState(vcpu.getRegs(), vcpu.getSregs(), vcpu.getFpu(), vcpu.getXsave(), vcpu.getXcrs(), msrs,
                vcpu.getVcpuEvents(), vcpu.getMpState(), vcpu.getDebugRegs());
    }

    /** Writes the whole state into {@code vcpu}. */
    public void restore(VcpuFd vcpu) {
        vcpu.setRegs(regs);
        vcpu.setXsave(xsave);
        vcpu.setXcrs(xcrs);
        vcpu.setSregs(sregs);
        setMsrs(vcpu, msrs);
        vcpu.setMpState(mpState);
        vcpu.setVcpuEvents(events);
        vcpu.setDebugRegs(debug);
    }

    /**
     * KVM_SET_MSRS stops at the first MSR it refuses (kvm_pvm refuses e.g. some paravirtual MSRs it reported in
     * the index list), so on a short count the rest are set one by one and the refused ones are skipped.
     */
    private static void setMsrs(VcpuFd vcpu, List<MsrEntry> msrs) {
        try {
            vcpu.setMsrs(msrs);
        } catch (org.jkvm.kvm.KvmException e) {
            List<String> refused = new ArrayList<>();
            for (MsrEntry m : msrs) {
                try {
                    vcpu.setMsrs(List.of(m));
                } catch (org.jkvm.kvm.KvmException one) {
                    refused.add("0x" + Integer.toHexString(m.index()));
                }
            }
            org.slf4j.LoggerFactory.getLogger(VcpuState.class).debug("KVM refused MSRs {}; skipped", refused);
        }
    }

    /** IA32_TSC as saved, or -1 when it was not saved. */
    public long tsc() {
        for (MsrEntry m : msrs) {
            if (m.index() == MsrEntry.IA32_TSC) {
                return m.data();
            }
        }
        return -1;
    }

    /** Encodes every part as a length-prefixed blob in the order of the record components. */
    public void encode(StateWriter out) {
        out.bytes(part(Regs.ENCODED_SIZE, regs::encode));
        out.bytes(part(Sregs.ENCODED_SIZE, sregs::encode));
        out.bytes(part(Fpu.ENCODED_SIZE, fpu::encode));
        out.bytes(part(xsave.size() + 16, xsave::encode));
        out.bytes(part(8 + Xcrs.MAX * 16, xcrs::encode));
        out.u32(msrs.size());
        for (MsrEntry m : msrs) {
            out.u32(m.index()).u64(m.data());
        }
        out.bytes(part(VcpuEvents.ENCODED_SIZE, events::encode));
        out.u32(mpState.state());
        out.bytes(part(DebugRegs.ENCODED_SIZE, debug::encode));
    }

    /** Reads what {@link #encode} wrote, checking every length before allocating. */
    public static VcpuState decode(StateReader in) {
        try {
            return decodeParts(in);
        } catch (IllegalArgumentException | java.nio.BufferUnderflowException e) {
            throw in.corrupt("vCPU state: " + e.getMessage());
        }
    }

    private static VcpuState decodeParts(StateReader in) {
        Regs regs = Regs.decode(buf(in));
        Sregs sregs = Sregs.decode(buf(in));
        Fpu fpu = Fpu.decode(buf(in));
        Xsave xsave = Xsave.decode(buf(in));
        Xcrs xcrs = Xcrs.decode(buf(in));
        int n = in.u32();
        if (n < 0 || n > MAX_MSRS) {
            throw in.corrupt("vCPU state lists " + n + " MSRs, more than " + MAX_MSRS);
        }
        List<MsrEntry> msrs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            msrs.add(new MsrEntry(in.u32(), in.u64()));
        }
        VcpuEvents events = VcpuEvents.decode(buf(in));
        MpState mp = new MpState(in.u32());
        if (mp.state() < 0 || mp.state() > 8) {
            throw in.corrupt("vCPU MP state " + mp.state() + " is not a KVM_MP_STATE value");
        }
        DebugRegs debug = DebugRegs.decode(buf(in));
        return new VcpuState(regs, sregs, fpu, xsave, xcrs, msrs, events, mp, debug);
    }

    private static byte[] part(int capacity, java.util.function.Consumer<ByteBuffer> writer) {
        ByteBuffer b = ByteBuffer.allocate(capacity);
        writer.accept(b);
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    private static ByteBuffer buf(StateReader in) {
        return ByteBuffer.wrap(in.bytes(MAX_PART_BYTES));
    }
}
