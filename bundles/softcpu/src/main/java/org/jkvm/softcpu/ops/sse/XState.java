package org.jkvm.softcpu.ops.sse;

import java.util.Arrays;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.Vec;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.fpu.Fpu;
import org.jkvm.softcpu.fpu.FpuImage;
import org.jkvm.softcpu.ops.MemBlock;
import org.jkvm.softcpu.sys.Control;

/**
 * Saving and loading the FPU state and its control registers (Intel SDM vol. 1, 10.5 and 13; vol. 2): FXSAVE/
 * FXRSTOR (16-byte aligned, with REX.W the 64-bit pointer form; XMM8-15 in 64-bit mode), LDMXCSR/STMXCSR,
 * XSAVE/XSAVEOPT/XRSTOR in the standard (non-compacted) format for the components of XCR0 & EDX:EAX (64-byte
 * aligned), XGETBV/XSETBV of XCR0, and EMMS. XSAVEOPT writes what XSAVE does (skipping unmodified state is an
 * optimisation the architecture allows but does not require).
 */
public final class XState extends SseOp {
    public static final int FXSAVE = 0;
    public static final int FXRSTOR = 1;
    public static final int LDMXCSR = 2;
    public static final int STMXCSR = 3;
    public static final int XSAVE = 4;
    public static final int XRSTOR = 5;
    public static final int XSAVEOPT = 6;
    public static final int XGETBV = 7;
    public static final int XSETBV = 8;
    public static final int EMMS = 9;

    private final int kind;
    private final boolean rexW;

    public XState(Dec d, int kind) {
        super(d);
        this.kind = kind;
        this.rexW = d.rexW;
    }

    @Override
    public boolean endsBlock() {
        return kind == XSETBV;
    }

    @Override
    public void exec(Cpu c) {
        switch (kind) {
            case FXSAVE: case FXRSTOR: fx(c); return;
            case LDMXCSR: {
                Fpu f = sse(c);
                long v = load(c, 2);
                if (!FpuImage.validMxcsr(v)) {
                    throw c.fault(Vec.GP, 0);
                }
                f.mxcsr = (int) v;
                return;
            }
            case STMXCSR: store(c, 2, sse(c).mxcsr); return;
            case EMMS: {
                Fpu f = mmx(c);
                f.mmxEnter();
                f.tags = 0;
                return;
            }
            case XGETBV: case XSETBV: xcr(c); return;
            default: xsave(c);
        }
    }

    private void fx(Cpu c) {
        if ((c.cr0 & (Control.CR0_EM | Control.CR0_TS)) != 0) {
            throw c.fault(Vec.NM);
        }
        Fpu f = c.fpu;
        boolean ptr64 = rexW && c.code64;
        int n = c.code64 ? 16 : 8;
        byte[] b = new byte[FpuImage.FXSAVE_BYTES];
        if (kind == FXSAVE) {
            long l = addr(c, FpuImage.FXSAVE_BYTES, true, true);
            FpuImage.fxsave(f, b, ptr64, c.code64);
            MemBlock.write(c, l, b, 0, 160 + 16 * n);
            return;
        }
        long l = addr(c, FpuImage.FXSAVE_BYTES, false, true);
        MemBlock.read(c, l, b, 160 + 16 * n);
        long mxcsr = FpuImage.get64(b, 24) & 0xffffffffL;
        if (!FpuImage.validMxcsr(mxcsr)) {
            throw c.fault(Vec.GP, 0);
        }
        FpuImage.fxrstorX87(f, b, ptr64);
        FpuImage.fxrstorSse(f, b, c.code64);
        f.mxcsr = (int) mxcsr;
    }

    private static void requireOsxsave(Cpu c) {
        if ((c.cr4 & Control.CR4_OSXSAVE) == 0) {
            throw c.fault(Vec.UD);
        }
    }

    private void xcr(Cpu c) {
        requireOsxsave(c);
        int index = (int) c.r[1];
        if (kind == XGETBV) {
            if (index != 0) {
                throw c.fault(Vec.GP, 0);
            }
            c.r[0] = c.xcr0 & 0xffffffffL;
            c.r[2] = c.xcr0 >>> 32;
            return;
        }
        long v = (c.r[2] & 0xffffffffL) << 32 | (c.r[0] & 0xffffffffL);
        if (c.cpl != 0 || c.vm86 || index != 0 || (v & 1) == 0 || (v & ~FpuImage.XCR0_SUPPORTED) != 0) {
            throw c.fault(Vec.GP, 0);
        }
        c.xcr0 = v;
    }

    private void xsave(Cpu c) {
        requireOsxsave(c);
        if ((c.cr0 & Control.CR0_TS) != 0) {
            throw c.fault(Vec.NM);
        }
        Fpu f = c.fpu;
        long rfbm = c.xcr0 & ((c.r[2] & 0xffffffffL) << 32 | (c.r[0] & 0xffffffffL));
        boolean ptr64 = rexW && c.code64;
        int n = c.code64 ? 16 : 8;
        long l = addr(c, FpuImage.XSAVE_BYTES, kind != XRSTOR, false);
        if ((l & 63) != 0) {
            throw c.fault(Vec.GP, 0);
        }
        byte[] b = new byte[FpuImage.XSAVE_BYTES];
        if (kind != XRSTOR) {
            // XSAVE rewrites only parts of the area: check that it can write before reading the rest.
            c.probeWrite(l, 0);
            c.probeWrite(l + FpuImage.XSAVE_BYTES - 1, 0);
        }
        MemBlock.read(c, l, b, FpuImage.XSAVE_BYTES);
        if (kind == XRSTOR) {
            xrstor(c, f, b, rfbm, ptr64, n);
            return;
        }
        byte[] img = new byte[FpuImage.FXSAVE_BYTES];
        FpuImage.fxsave(f, img, ptr64, c.code64);
        if ((rfbm & 1) != 0) {
            System.arraycopy(img, 0, b, 0, 24);
            System.arraycopy(img, 32, b, 32, 128);
        }
        if ((rfbm & 2) != 0) {
            System.arraycopy(img, 24, b, 24, 8);
            System.arraycopy(img, 160, b, 160, 16 * n);
        }
        long inUse = (f.x87Initial() ? 0 : 1) | (xmmZero(f) ? 0 : 2);
        long bv = FpuImage.get64(b, 512) & ~rfbm | inUse & rfbm;
        for (int i = 0; i < 8; i++) {
            b[512 + i] = (byte) (bv >>> (8 * i));
        }
        MemBlock.write(c, l, b, 0, FpuImage.XSAVE_BYTES);
    }

    private static boolean xmmZero(Fpu f) {
        for (long v : f.xmm) {
            if (v != 0) {
                return false;
            }
        }
        return true;
    }

    private static void xrstor(Cpu c, Fpu f, byte[] b, long rfbm, boolean ptr64, int n) {
        long bv = FpuImage.get64(b, 512);
        long compBv = FpuImage.get64(b, 520);
        long reserved = 0;
        for (int off = 528; off < 576; off += 8) {
            reserved |= FpuImage.get64(b, off);   // header bytes 16-63 must be zero (SDM vol. 1, 13.4.2)
        }
        long mxcsr = FpuImage.get64(b, 24) & 0xffffffffL;
        if (compBv != 0 || reserved != 0 || (bv & ~c.xcr0) != 0
                || ((rfbm & 2) != 0 && !FpuImage.validMxcsr(mxcsr))) {
            throw c.fault(Vec.GP, 0);
        }
        if ((rfbm & 1) != 0) {
            if ((bv & 1) != 0) {
                FpuImage.fxrstorX87(f, b, ptr64);
            } else {
                f.finit();
                Arrays.fill(f.st, 0);
                Arrays.fill(f.se, 0);
            }
        }
        if ((rfbm & 2) != 0) {
            if ((bv & 2) != 0) {
                FpuImage.fxrstorSse(f, b, n == 16);
            } else {
                Arrays.fill(f.xmm, 0, 2 * n, 0);
            }
            f.mxcsr = (int) mxcsr;
        }
    }
}
