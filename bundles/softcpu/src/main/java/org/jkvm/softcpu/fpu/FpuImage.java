package org.jkvm.softcpu.fpu;

import java.util.Arrays;

import org.jkvm.hypervisor.x86.XsaveArea;

/**
 * The memory images of the FPU state (Intel SDM vol. 1, 8.1.10 and 10.5.1; vol. 2 FXSAVE, FSTENV, FSAVE, XSAVE):
 * the 512-byte FXSAVE region (also the legacy region of XSAVE and of the seam's {@link XsaveArea}), the 14/28-byte
 * x87 environment in its real/protected and 16/32-bit forms, the XSAVE header, and the conversion of the whole state
 * to and from {@link XsaveArea}. Little-endian. Stateless.
 *
 * <pre>
 *   FXSAVE  0 FCW  2 FSW  4 abridged FTW (bit i: physical register i valid)  6 FOP
 *           8 FIP (64 bits with REX.W, else FIP 32 + FCS 16)  16 FDP (64, or FDP 32 + FDS 16)
 *          24 MXCSR  28 MXCSR_MASK  32 + 16i ST(i) (10 bytes)  160 + 16i XMMi  (416-511 not written)
 *   XSAVE 512 XSTATE_BV  520 XCOMP_BV  528-575 reserved (zero)
 * </pre>
 */
public final class FpuImage {
    /** The legacy region's size. */
    public static final int FXSAVE_BYTES = 512;
    /** XSTATE components this CPU implements: x87 (bit 0) and SSE (bit 1). */
    public static final long XCR0_SUPPORTED = 3;
    /** The XSAVE area for x87 and SSE: the legacy region and the header. */
    public static final int XSAVE_BYTES = 576;

    private FpuImage() {
    }

    static void put16(byte[] b, int off, long v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
    }

    static void put32(byte[] b, int off, long v) {
        put16(b, off, v);
        put16(b, off + 2, v >>> 16);
    }

    static void put64(byte[] b, int off, long v) {
        put32(b, off, v);
        put32(b, off + 4, v >>> 32);
    }

    static int get16(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8;
    }

    static long get32(byte[] b, int off) {
        return get16(b, off) | (long) get16(b, off + 2) << 16;
    }

    /** Reads a little-endian 64-bit value. */
    public static long get64(byte[] b, int off) {
        return get32(b, off) | get32(b, off + 4) << 32;
    }

    /** Writes ST(i) of the stack, physical register {@code p}, as 10 bytes at {@code off}. */
    static void putReg(Fpu f, byte[] b, int off, int p) {
        put64(b, off, f.st[p]);
        put16(b, off + 8, f.se[p]);
    }

    /**
     * Writes the FXSAVE image into {@code b[0..511]}: bytes 0-415 (with XMM8-15 only when {@code xmm16}); bytes
     * 416-511 are left as they are.
     *
     * @param ptr64 the 64-bit pointer form (FXSAVE64: REX.W in 64-bit mode)
     */
    public static void fxsave(Fpu f, byte[] b, boolean ptr64, boolean xmm16) {
        put16(b, 0, f.fcw);
        put16(b, 2, f.status());
        b[4] = (byte) f.tags;
        b[5] = 0;
        put16(b, 6, f.fop);
        if (ptr64) {
            put64(b, 8, f.fip);
            put64(b, 16, f.fdp);
        } else {
            put32(b, 8, f.fip);
            put32(b, 12, f.fcs);
            put32(b, 16, f.fdp);
            put32(b, 20, f.fds);
        }
        put32(b, 24, f.mxcsr);
        put32(b, 28, Fpu.MXCSR_MASK);
        for (int i = 0; i < 8; i++) {
            Arrays.fill(b, 32 + 16 * i, 48 + 16 * i, (byte) 0);
            putReg(f, b, 32 + 16 * i, f.phys(i));
        }
        int n = xmm16 ? 16 : 8;
        for (int i = 0; i < n; i++) {
            put64(b, 160 + 16 * i, f.xmm[2 * i]);
            put64(b, 168 + 16 * i, f.xmm[2 * i + 1]);
        }
    }

    /** Whether {@code mxcsr} has only bits this CPU implements (else FXRSTOR, LDMXCSR and XRSTOR raise #GP). */
    public static boolean validMxcsr(long mxcsr) {
        return (mxcsr & ~(long) Fpu.MXCSR_MASK) == 0;
    }

    /** Loads the x87 part of an FXSAVE image (control, status, tags, pointers, registers). */
    public static void fxrstorX87(Fpu f, byte[] b, boolean ptr64) {
        f.fcw = get16(b, 0);
        f.setControl(f.fcw);
        f.tags = b[4] & 0xff;
        f.fop = get16(b, 6) & 0x7ff;
        if (ptr64) {
            f.fip = get64(b, 8);
            f.fdp = get64(b, 16);
            f.fcs = 0;
            f.fds = 0;
        } else {
            f.fip = get32(b, 8);
            f.fcs = get16(b, 12);
            f.fdp = get32(b, 16);
            f.fds = get16(b, 20);
        }
        f.setStatus(get16(b, 2));
        for (int i = 0; i < 8; i++) {
            int p = f.phys(i);
            f.st[p] = get64(b, 32 + 16 * i);
            f.se[p] = get16(b, 40 + 16 * i);
        }
    }

    /** Loads the XMM registers of an FXSAVE image (XMM0-7, or 0-15 with {@code xmm16}). */
    public static void fxrstorSse(Fpu f, byte[] b, boolean xmm16) {
        int n = xmm16 ? 16 : 8;
        for (int i = 0; i < n; i++) {
            f.xmm[2 * i] = get64(b, 160 + 16 * i);
            f.xmm[2 * i + 1] = get64(b, 168 + 16 * i);
        }
    }

    /**
     * Writes the x87 environment (FNSTENV; the first part of FNSAVE) at {@code b[0..]}: 28 bytes for a 32-bit
     * operand size, 14 for 16-bit; the real-mode forms keep linear pointers with the opcode beside them.
     *
     * @return its size
     */
    public static int env(Fpu f, byte[] b, boolean op32, boolean realMode) {
        int w = op32 ? 4 : 2;
        long[] v = new long[7];
        v[0] = f.fcw | (op32 ? 0xffff0000L : 0);
        v[1] = f.status() | (op32 ? 0xffff0000L : 0);
        v[2] = f.fullTagWord() | (op32 ? 0xffff0000L : 0);
        if (realMode) {
            long ip = f.fip & 0xffffffffL;
            long dp = f.fdp & 0xffffffffL;
            v[3] = ip & 0xffff | (op32 ? 0xffff0000L : 0);
            v[4] = op32 ? (ip >>> 16) << 12 | f.fop : (ip >>> 16 & 0xf) << 12 | f.fop;
            v[5] = dp & 0xffff | (op32 ? 0xffff0000L : 0);
            v[6] = op32 ? (dp >>> 16) << 12 : (dp >>> 16 & 0xf) << 12;
        } else {
            v[3] = f.fip;
            v[4] = op32 ? f.fcs & 0xffff | (long) f.fop << 16 : f.fcs & 0xffff;
            v[5] = f.fdp;
            v[6] = op32 ? f.fds & 0xffff | 0xffff0000L : f.fds & 0xffff;
        }
        for (int i = 0; i < 7; i++) {
            if (op32) {
                put32(b, 4 * i, v[i]);
            } else {
                put16(b, 2 * i, v[i]);
            }
        }
        return 7 * w;
    }

    /** Loads the x87 environment written by {@link #env}. */
    public static void setEnv(Fpu f, byte[] b, boolean op32, boolean realMode) {
        long[] v = new long[7];
        for (int i = 0; i < 7; i++) {
            v[i] = op32 ? get32(b, 4 * i) : get16(b, 2 * i);
        }
        f.setControl((int) v[0] & 0xffff);
        f.setStatus((int) v[1] & 0xffff);
        f.setFullTagWord((int) v[2] & 0xffff);
        if (realMode) {
            f.fop = (int) v[4] & 0x7ff;
            f.fip = (v[3] & 0xffff) | (v[4] >>> 12) << 16;
            f.fdp = (v[5] & 0xffff) | (v[6] >>> 12) << 16;
            f.fcs = 0;
            f.fds = 0;
        } else {
            f.fip = v[3];
            f.fcs = (int) v[4] & 0xffff;
            f.fop = op32 ? (int) (v[4] >>> 16) & 0x7ff : 0;
            f.fdp = v[5];
            f.fds = (int) v[6] & 0xffff;
        }
    }

    // ---- the seam's XSAVE area --------------------------------------------------------------------------------

    /**
     * The state as the seam carries it: the legacy region in the 64-bit pointer form with XMM0-15, XSTATE_BV with
     * x87 and SSE marked in use (and whatever extended components {@code carried} had), then {@code carried}'s
     * bytes from 576 on (state this CPU does not implement, e.g. AVX from KVM, kept for a move back).
     */
    public static XsaveArea toXsave(Fpu f, XsaveArea carried) {
        byte[] b = carried.bytes();
        fxsave(f, b, true, true);
        Arrays.fill(b, 416, 512, (byte) 0);
        long bv = FpuImage.get64(b, 512) & ~XCR0_SUPPORTED | XCR0_SUPPORTED;
        Arrays.fill(b, 512, 576, (byte) 0);
        put64(b, 512, bv);
        return new XsaveArea(b);
    }

    /**
     * Loads the state from the seam's area: components whose XSTATE_BV bit is clear are in their initial state
     * (as XRSTOR does); MXCSR is always taken from the legacy region.
     *
     * @throws IllegalArgumentException when MXCSR has bits this CPU does not implement
     */
    public static void fromXsave(Fpu f, XsaveArea area) {
        byte[] b = area.bytes();
        long bv = get64(b, 512);
        long mxcsr = get32(b, 24);
        if (!validMxcsr(mxcsr)) {
            throw new IllegalArgumentException(String.format("MXCSR 0x%x has bits the software CPU does not "
                    + "implement (mask 0x%x)", mxcsr, Fpu.MXCSR_MASK));
        }
        if ((bv & 1) != 0) {
            fxrstorX87(f, b, true);
        } else {
            f.finit();
            Arrays.fill(f.st, 0);
            Arrays.fill(f.se, 0);
        }
        if ((bv & 2) != 0) {
            fxrstorSse(f, b, true);
        } else {
            Arrays.fill(f.xmm, 0);
        }
        f.mxcsr = (int) mxcsr;
    }
}
