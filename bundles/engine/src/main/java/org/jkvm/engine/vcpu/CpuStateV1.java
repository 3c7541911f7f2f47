package org.jkvm.engine.vcpu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

/**
 * Reads the {@code cpu} section of version 1 (jkvm before the hypervisor seam: KVM's uapi structures, written by
 * KVM engines only) into the architectural state, per the layout of docs/migration-stream.md §2.5b. Every part is
 * a {@code blob32} except the MSR list and the MP state:
 *
 * <pre>
 * regs    blob32: 18 x u64 in kvm_regs order (that of version 2)
 * sregs   blob32: 8 x (u64 base, u32 limit, u16 selector, u8 type, present, dpl, db, s, l, g, avl, unusable)
 *         cs ds es fs gs ss tr ldt; gdt, idt (u64 base, u16 limit); 7 x u64 cr0 cr2 cr3 cr4 cr8 efer apic_base;
 *         4 x u64 interrupt_bitmap
 * fpu     blob32: struct kvm_fpu, 416 little-endian bytes
 * xsave   blob32: u32 length, then struct kvm_xsave (4096 bytes or more, little-endian: the XSAVE format)
 * xcrs    blob32: u32 count, u32 flags, count x (u32 xcr, u64 value)
 * msrs    u32 n (at most 1024), n x (u32 index, u64 value)
 * events  blob32: struct kvm_vcpu_events, 64 little-endian bytes
 * mp      u32 KVM_MP_STATE_*
 * debug   blob32: u64 dr0-dr3, u64 dr6, u64 dr7, u64 flags
 * </pre>
 *
 * Conversions: KVM's MP-state numbers to the activity state; the events' bytes and the sregs interrupt bitmap (the
 * interrupt KVM had queued) to {@link PendingEvents}; the {@code kvm_segment} fields to the segment caches; the
 * XSAVE area as it is, or, if its legacy region is empty, rebuilt from {@code kvm_fpu}. Stateless.
 */
public final class CpuStateV1 {
    /** The version this class reads. */
    public static final int VERSION = 1;
    private static final int MAX_PART_BYTES = 1 << 20;
    private static final int FPU_SIZE = 416;
    private static final int EVENTS_SIZE = 64;

    private CpuStateV1() {
    }

    /**
     * Reads a version-1 payload.
     *
     * @throws org.jkvm.vmstate.VmStateException naming the part and the bad value when the payload is malformed
     */
    public static CpuState decode(StateReader in) {
        try {
            return decodeParts(in);
        } catch (IllegalArgumentException | java.nio.BufferUnderflowException e) {
            throw in.corrupt("version-1 vCPU state: " + e.getMessage());
        }
    }

    private static CpuState decodeParts(StateReader in) {
        ByteBuffer r = part(in, "regs", 144, 144);
        long[] g = new long[18];
        for (int i = 0; i < g.length; i++) {
            g[i] = r.getLong();
        }
        Registers regs = new Registers(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11],
                g[12], g[13], g[14], g[15], g[16], g[17]);
        ByteBuffer s = part(in, "sregs", 292, 292);
        SegmentRegister[] seg = new SegmentRegister[8];
        for (int i = 0; i < seg.length; i++) {
            seg[i] = segment(s);
        }
        DescriptorTable gdt = new DescriptorTable(s.getLong(), Short.toUnsignedInt(s.getShort()));
        DescriptorTable idt = new DescriptorTable(s.getLong(), Short.toUnsignedInt(s.getShort()));
        long[] c = new long[7];
        for (int i = 0; i < c.length; i++) {
            c[i] = s.getLong();
        }
        long[] bitmap = {s.getLong(), s.getLong(), s.getLong(), s.getLong()};
        SystemRegisters sys = new SystemRegisters(seg[0], seg[1], seg[2], seg[3], seg[4], seg[5], seg[6], seg[7],
                gdt, idt, c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
        byte[] fpu = new byte[FPU_SIZE];
        part(in, "fpu", FPU_SIZE, FPU_SIZE).get(fpu);
        XsaveArea xsave = xsave(in, fpu);
        long xcr0 = xcr0(part(in, "xcrs", 8, 8 + 16 * 12));
        List<Msr> msrs = CpuStateCodec.msrs(in);
        byte[] events = new byte[EVENTS_SIZE];
        part(in, "events", EVENTS_SIZE, EVENTS_SIZE).get(events);
        int mp = in.u32();
        ByteBuffer d = part(in, "debug registers", 56, 56);
        DebugRegisters debug = new DebugRegisters(d.getLong(), d.getLong(), d.getLong(), d.getLong(), d.getLong(),
                d.getLong());
        return new CpuState(regs, sys, xsave, xcr0, msrs, events(events, bitmap), activity(in, mp), debug);
    }

    /** A {@code blob32} of {@code min..max} bytes, as a big-endian buffer (the compact encoding's order). */
    private static ByteBuffer part(StateReader in, String what, int min, int max) {
        int at = in.position();
        byte[] b = in.bytes(MAX_PART_BYTES);
        if (b.length < min || b.length > max) {
            throw in.corrupt("the version-1 " + what + " part at offset " + at + " is " + b.length + " bytes, not "
                    + (min == max ? Integer.toString(min) : min + " to " + max));
        }
        return ByteBuffer.wrap(b);
    }

    /** The compact kvm_segment: u64 base, u32 limit, u16 selector, then nine flag bytes. */
    private static SegmentRegister segment(ByteBuffer b) {
        long base = b.getLong();
        int limit = b.getInt();
        int selector = Short.toUnsignedInt(b.getShort());
        int type = b.get() & 0xff;
        boolean present = b.get() != 0;
        int dpl = b.get() & 0xff;
        boolean db = b.get() != 0;
        boolean s = b.get() != 0;
        boolean l = b.get() != 0;
        boolean g = b.get() != 0;
        boolean avl = b.get() != 0;
        boolean unusable = b.get() != 0;
        return new SegmentRegister(selector, base, limit, type, s, dpl, present, avl, l, db, g, unusable);
    }

    /**
     * The XSAVE area (KVM's {@code kvm_xsave} is the standard format), padded to a multiple of 64 bytes. KVM fills
     * its legacy region from the same registers as {@code kvm_fpu}; should it be empty, it is rebuilt from
     * {@code kvm_fpu} (FXSAVE layout, Intel SDM vol. 1, table 10-2) with x87 and SSE marked in XSTATE_BV.
     */
    private static XsaveArea xsave(StateReader in, byte[] fpu) {
        ByteBuffer x = part(in, "xsave", 4 + 4096, MAX_PART_BYTES);
        int length = x.getInt();
        if (length < 4096 || length != x.remaining()) {
            throw in.corrupt("the version-1 xsave part says " + length + " bytes but holds " + x.remaining());
        }
        byte[] area = new byte[(length + 63) / 64 * 64];
        x.get(area, 0, length);
        if (isZero(area, 0, 512) && !isZero(fpu, 0, FPU_SIZE)) {
            legacyFromFpu(area, fpu);
        }
        return new XsaveArea(area);
    }

    private static void legacyFromFpu(byte[] area, byte[] fpu) {
        ByteBuffer a = ByteBuffer.wrap(area).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer f = ByteBuffer.wrap(fpu).order(ByteOrder.LITTLE_ENDIAN);
        a.putShort(0, f.getShort(128)); // FCW
        a.putShort(2, f.getShort(130)); // FSW
        a.put(4, f.get(132)); // abridged FTW
        a.putShort(6, f.getShort(134)); // FOP
        a.putLong(8, f.getLong(136)); // FPU IP
        a.putLong(16, f.getLong(144)); // FPU DP
        a.putInt(24, f.getInt(408)); // MXCSR
        a.putInt(28, 0xffff); // MXCSR_MASK (kvm_fpu has none; XsaveArea.reset's)
        for (int i = 0; i < 8; i++) {
            System.arraycopy(fpu, 16 * i, area, 32 + 16 * i, 10); // ST0-7: 80 bits in 16-byte slots
        }
        System.arraycopy(fpu, 152, area, 160, 256); // XMM0-15
        a.putLong(512, a.getLong(512) | 0x3); // XSTATE_BV: x87, SSE
    }

    private static long xcr0(ByteBuffer b) {
        int n = b.getInt();
        b.getInt(); // flags
        if (n < 0 || n > 16 || b.remaining() != 12 * n) {
            throw new IllegalArgumentException("the xcrs part lists " + n + " registers in " + b.remaining()
                    + " bytes");
        }
        long xcr0 = 1; // x87 only: what a vCPU without XSAVE has
        for (int i = 0; i < n; i++) {
            int xcr = b.getInt();
            long value = b.getLong();
            if (xcr == 0) {
                xcr0 = value;
            }
        }
        return xcr0;
    }

    /**
     * {@code kvm_vcpu_events} (layout in docs/migration-stream.md §2.5b) with the sregs bitmap: KVM sets
     * there the external interrupt it has queued, the one its events report as injected and not soft.
     */
    static PendingEvents events(byte[] raw, long[] bitmap) {
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        int flags = b.getInt(20);
        ExceptionEvent exception = null;
        boolean injected = b.get(0) != 0;
        if (injected || b.get(3) != 0) {
            boolean hasPayload = (flags & 0x10) != 0 && b.get(55) != 0;
            exception = new ExceptionEvent(b.get(1) & 0xff, injected, b.get(2) != 0, b.getInt(4), hasPayload,
                    hasPayload ? b.getLong(56) : 0);
        }
        int interrupt = b.get(8) != 0 ? b.get(9) & 0xff : -1;
        boolean soft = interrupt >= 0 && b.get(10) != 0;
        if (interrupt < 0) {
            interrupt = lowestBit(bitmap);
        }
        int shadow = (flags & 0x4) != 0 ? b.get(11) : 0; // VALID_SHADOW; 1 = MOV SS, 2 = STI
        boolean nmiPending = (flags & 0x1) != 0 && b.get(13) != 0; // VALID_NMI_PENDING
        return new PendingEvents(exception, interrupt, soft, -1, nmiPending, b.get(12) != 0, b.get(14) != 0,
                (shadow & 2) != 0, (shadow & 1) != 0);
    }

    private static int lowestBit(long[] bitmap) {
        for (int w = 0; w < bitmap.length; w++) {
            if (bitmap[w] != 0) {
                return w * 64 + Long.numberOfTrailingZeros(bitmap[w]);
            }
        }
        return -1;
    }

    /** {@code KVM_MP_STATE_*}: 0 runnable, 1 uninitialized, 2 INIT received, 3 halted, 4 SIPI received. */
    private static ActivityState activity(StateReader in, int mp) {
        return switch (mp) {
            case 0, 4 -> ActivityState.ACTIVE;
            case 3 -> ActivityState.HALTED;
            case 1, 2 -> ActivityState.WAIT_FOR_SIPI;
            default -> throw in.corrupt("vCPU MP state " + mp + " is not an x86 KVM_MP_STATE value");
        };
    }

    private static boolean isZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
