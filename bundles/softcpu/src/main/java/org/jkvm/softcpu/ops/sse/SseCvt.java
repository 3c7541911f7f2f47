package org.jkvm.softcpu.ops.sse;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.fpu.Fp;
import org.jkvm.softcpu.fpu.FpConv;
import org.jkvm.softcpu.fpu.Fpu;
import org.jkvm.softcpu.fpu.Num;

/**
 * SSE/SSE2 conversions (Intel SDM vol. 2, CVT*): integers to floating point (rounded by MXCSR), floating point to
 * 32/64-bit integers (rounded, or truncated by the CVTT forms; NaNs and values out of range give the integer
 * indefinite with IE), and between single and double precision. Forms with an MMX register switch the x87 state to
 * MMX use; CVTPI2PS/PD from memory do not.
 */
public final class SseCvt extends SseOp {
    public static final int PI2PS = 0;
    public static final int PI2PD = 1;
    public static final int SI2SS = 2;
    public static final int SI2SD = 3;
    public static final int PS2PI = 4;
    public static final int PD2PI = 5;
    public static final int SS2SI = 6;
    public static final int SD2SI = 7;
    public static final int PS2PD = 8;
    public static final int PD2PS = 9;
    public static final int SS2SD = 10;
    public static final int SD2SS = 11;
    public static final int DQ2PS = 12;
    public static final int PS2DQ = 13;
    public static final int PD2DQ = 14;
    public static final int DQ2PD = 15;

    private final int kind;
    private final boolean truncate;
    private final int gs;

    /**
     * @param truncate the CVTT forms (round toward zero whatever MXCSR says)
     * @param gs       the size index of a general-purpose register operand (2 or 3)
     */
    public SseCvt(Dec d, int kind, boolean truncate, int gs) {
        super(d);
        this.kind = kind;
        this.truncate = truncate;
        this.gs = gs;
    }

    @Override
    public void exec(Cpu c) {
        Fpu f = sse(c);
        if (kind == PI2PS || kind == PI2PD || kind == PS2PI || kind == PD2PI) {
            mmxForms(c, f);
            return;
        }
        Fp fp = f.fp.sse(f.mxcsr);
        int r = 2 * xr;
        switch (kind) {
            case SI2SS: case SI2SD: {
                long v = isReg ? c.reg(xm, gs, 0) : load(c, gs);
                long x = gs == 2 ? (int) v : v;
                long res = kind == SI2SS ? FpConv.fromInt(fp, x, Fp.F32, 24) : FpConv.fromInt(fp, x, Fp.F64, 53);
                commit(c, f, fp);
                f.xmm[r] = kind == SI2SS ? f.xmm[r] & 0xffffffff00000000L | res : res;
                return;
            }
            case SS2SI: case SD2SI: {
                long v = kind == SS2SI ? toInt(fp, srcX32(c), Fp.F32) : toInt(fp, srcX64(c), Fp.F64);
                commit(c, f, fp);
                c.setReg(xr, gs, 0, v);
                return;
            }
            case SS2SD: {
                long v = convert(fp, srcX32(c), Fp.F32, Fp.F64);
                commit(c, f, fp);
                f.xmm[r] = v;
                return;
            }
            case SD2SS: {
                long v = convert(fp, srcX64(c), Fp.F64, Fp.F32);
                commit(c, f, fp);
                f.xmm[r] = f.xmm[r] & 0xffffffff00000000L | v;
                return;
            }
            default:
                packed(c, f, fp, r);
        }
    }

    private void packed(Cpu c, Fpu f, Fp fp, int r) {
        long lo;
        long hi;
        switch (kind) {
            case PS2PD: {
                long s = srcX64(c);
                lo = convert(fp, s & 0xffffffffL, Fp.F32, Fp.F64);
                hi = convert(fp, s >>> 32, Fp.F32, Fp.F64);
                break;
            }
            case DQ2PD: {
                long s = srcX64(c);
                lo = FpConv.fromInt(fp, (int) s, Fp.F64, 53);
                hi = FpConv.fromInt(fp, s >> 32, Fp.F64, 53);
                break;
            }
            case PD2PS: case PD2DQ: {
                long slo = srcX(c, true);
                long shi = f.scratch[1];
                lo = kind == PD2PS ? convert(fp, slo, Fp.F64, Fp.F32) | convert(fp, shi, Fp.F64, Fp.F32) << 32
                        : toInt(fp, slo, Fp.F64) & 0xffffffffL | toInt(fp, shi, Fp.F64) << 32;
                hi = 0;
                break;
            }
            default: {
                long slo = srcX(c, true);
                long shi = f.scratch[1];
                lo = four(fp, slo);
                hi = four(fp, shi);
            }
        }
        commit(c, f, fp);
        f.xmm[r] = lo;
        f.xmm[r + 1] = hi;
    }

    /** Two dword lanes of CVTDQ2PS or CVT(T)PS2DQ. */
    private long four(Fp fp, long s) {
        if (kind == DQ2PS) {
            return FpConv.fromInt(fp, (int) s, Fp.F32, 24) | FpConv.fromInt(fp, s >> 32, Fp.F32, 24) << 32;
        }
        return toInt(fp, s & 0xffffffffL, Fp.F32) & 0xffffffffL | toInt(fp, s >>> 32, Fp.F32) << 32;
    }

    private void mmxForms(Cpu c, Fpu f) {
        if (isReg || kind == PS2PI || kind == PD2PI) {
            // CVTPI2PS/PD from memory touch no MMX register: no x87 checks, no switch to MMX use.
            mmx(c);
        }
        Fp fp = f.fp.sse(f.mxcsr);
        int r = 2 * xr;
        if (kind == PI2PS || kind == PI2PD) {
            long s = srcM(c);
            long lo;
            long hi = f.xmm[r + 1];
            if (kind == PI2PS) {
                lo = FpConv.fromInt(fp, (int) s, Fp.F32, 24) | FpConv.fromInt(fp, s >> 32, Fp.F32, 24) << 32;
            } else {
                lo = FpConv.fromInt(fp, (int) s, Fp.F64, 53);
                hi = FpConv.fromInt(fp, s >> 32, Fp.F64, 53);
            }
            if (isReg) {
                // The switch to MMX use happens even when the conversion then raises #XM (as the host shows).
                f.mmxEnter();
            }
            commit(c, f, fp);
            f.xmm[r] = lo;
            f.xmm[r + 1] = hi;
            return;
        }
        long v;
        if (kind == PS2PI) {
            long s = isReg ? f.xmm[2 * xm] : load(c, 3);
            v = toInt(fp, s & 0xffffffffL, Fp.F32) & 0xffffffffL | toInt(fp, s >>> 32, Fp.F32) << 32;
        } else {
            long slo = srcX(c, true);
            long shi = f.scratch[1];
            v = toInt(fp, slo, Fp.F64) & 0xffffffffL | toInt(fp, shi, Fp.F64) << 32;
        }
        f.mmxEnter();
        commit(c, f, fp);
        f.setMmx(xr & 7, v);
    }

    /** A single or double to an integer of the general register's size (32 bits for the packed forms). */
    private long toInt(Fp fp, long bits, int fmt) {
        Num n = fmt == Fp.F32 ? fp.unpack32((int) bits, fp.a) : fp.unpack64(bits, fp.a);
        int width = kind == SS2SI || kind == SD2SI ? 8 << gs : 32;
        return FpConv.toInt(fp, n, width, truncate);
    }

    /** Single to double or double to single (IE for a signalling NaN, DE for a denormal operand). */
    private static long convert(Fp fp, long bits, int from, int to) {
        Num n = from == Fp.F32 ? fp.unpack32((int) bits, fp.a) : fp.unpack64(bits, fp.a);
        if (n.cls == Num.SNAN) {
            fp.flags |= Fp.IE;
        }
        if (n.denormal) {
            fp.flags |= Fp.DE;
        }
        long v = fp.pack(n, to, to == Fp.F32 ? 24 : 53);
        return to == Fp.F32 ? v & 0xffffffffL : v;
    }
}
