package org.jkvm.softcpu.ops.sse;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.fpu.Fpu;

/**
 * The data moves of SSE, SSE2, SSE3 and MMX (Intel SDM vol. 2): whole registers (MOVAPS/MOVUPS/MOVDQA/MOVDQU/
 * LDDQU/MOVNT*), scalars (MOVSS/MOVSD: a load from memory zeroes the rest, a register move merges), halves
 * (MOVLPS/MOVHPS/MOVLPD/MOVHPD/MOVHLPS/MOVLHPS), duplicates (MOVSLDUP/MOVSHDUP/MOVDDUP), MOVD/MOVQ between
 * general, MMX and XMM registers and memory, MOVQ2DQ/MOVDQ2Q, MOVNTI, and the sign-mask extractions
 * MOVMSKPS/MOVMSKPD/PMOVMSKB.
 */
public final class SseMove extends SseOp {
    /** xmm <- xmm/m128. */
    public static final int LOAD = 0;
    /** xmm/m128 <- xmm. */
    public static final int STORE = 1;
    public static final int MOVSS_LOAD = 2;
    public static final int MOVSD_LOAD = 3;
    public static final int MOVSS_STORE = 4;
    public static final int MOVSD_STORE = 5;
    /** MOVLPS/MOVLPD xmm, m64; MOVHLPS xmm, xmm. */
    public static final int LOW_LOAD = 6;
    /** MOVHPS/MOVHPD xmm, m64; MOVLHPS xmm, xmm. */
    public static final int HIGH_LOAD = 7;
    public static final int LOW_STORE = 8;
    public static final int HIGH_STORE = 9;
    public static final int SLDUP = 10;
    public static final int SHDUP = 11;
    public static final int DDUP = 12;
    /** MOVD/MOVQ xmm, r/m32|64 (zero-extended). */
    public static final int X_FROM_GPR = 13;
    /** MOVD/MOVQ r/m32|64, xmm. */
    public static final int X_TO_GPR = 14;
    /** MOVQ xmm, xmm/m64 (F3 0F 7E): the upper half zeroed. */
    public static final int Q_LOAD = 15;
    /** MOVQ xmm/m64, xmm (66 0F D6). */
    public static final int Q_STORE = 16;
    public static final int Q2DQ = 17;
    public static final int DQ2Q = 18;
    public static final int MM_FROM_GPR = 19;
    public static final int MM_TO_GPR = 20;
    public static final int MM_LOAD = 21;
    public static final int MM_STORE = 22;
    public static final int MOVNTI = 23;
    public static final int MSKPS = 24;
    public static final int MSKPD = 25;
    public static final int PMOVMSKB = 26;
    public static final int PMOVMSKB_X = 27;

    private final int kind;
    private final boolean aligned;
    private final int gs;

    /**
     * @param aligned a 128-bit memory operand must be 16-byte aligned
     * @param gs      general-register size index for MOVD/MOVQ/MOVNTI (2 or 3)
     */
    public SseMove(Dec d, int kind, boolean aligned, int gs) {
        super(d);
        this.kind = kind;
        this.aligned = aligned;
        this.gs = gs;
    }

    @Override
    public void exec(Cpu c) {
        if (kind >= MM_FROM_GPR && kind <= MM_STORE || kind == PMOVMSKB) {
            mmxMove(c);
            return;
        }
        if (kind == MOVNTI) {
            store(c, gs, c.reg(xr, gs, 0));
            return;
        }
        Fpu f = kind == Q2DQ || kind == DQ2Q ? sseMmx(c) : sse(c);
        long[] x = f.xmm;
        int r = 2 * xr;
        int m = 2 * xm;
        switch (kind) {
            case LOAD: {
                long lo = srcX(c, aligned);
                x[r + 1] = f.scratch[1];
                x[r] = lo;
                return;
            }
            case STORE:
                if (isReg) {
                    x[m] = x[r];
                    x[m + 1] = x[r + 1];
                } else {
                    store128(c, x[r], x[r + 1], aligned);
                }
                return;
            case MOVSS_LOAD:
                if (isReg) {
                    x[r] = x[r] & 0xffffffff00000000L | x[m] & 0xffffffffL;
                } else {
                    x[r] = load(c, 2);
                    x[r + 1] = 0;
                }
                return;
            case MOVSD_LOAD:
                if (isReg) {
                    x[r] = x[m];
                } else {
                    x[r] = load(c, 3);
                    x[r + 1] = 0;
                }
                return;
            case MOVSS_STORE:
                if (isReg) {
                    x[m] = x[m] & 0xffffffff00000000L | x[r] & 0xffffffffL;
                } else {
                    store(c, 2, x[r]);
                }
                return;
            case MOVSD_STORE:
                if (isReg) {
                    x[m] = x[r];
                } else {
                    store(c, 3, x[r]);
                }
                return;
            default:
                halves(c, f, x, r, m);
        }
    }

    private void halves(Cpu c, Fpu f, long[] x, int r, int m) {
        switch (kind) {
            case LOW_LOAD: x[r] = isReg ? x[m + 1] : load(c, 3); return;
            case HIGH_LOAD: x[r + 1] = isReg ? x[m] : load(c, 3); return;
            case LOW_STORE: store(c, 3, x[r]); return;
            case HIGH_STORE: store(c, 3, x[r + 1]); return;
            case SLDUP: case SHDUP: {
                long lo = srcX(c, true);
                long hi = f.scratch[1];
                x[r] = kind == SLDUP ? dup(lo & 0xffffffffL) : dup(lo >>> 32);
                x[r + 1] = kind == SLDUP ? dup(hi & 0xffffffffL) : dup(hi >>> 32);
                return;
            }
            case DDUP: {
                long v = srcX64(c);
                x[r] = v;
                x[r + 1] = v;
                return;
            }
            case X_FROM_GPR:
                x[r] = isReg ? c.reg(xm, gs, 0) : load(c, gs);
                x[r + 1] = 0;
                return;
            case X_TO_GPR:
                if (isReg) {
                    c.setReg(xm, gs, 0, x[r]);
                } else {
                    store(c, gs, x[r]);
                }
                return;
            case Q_LOAD:
                x[r] = srcX64(c);
                x[r + 1] = 0;
                return;
            case Q_STORE:
                if (isReg) {
                    x[m] = x[r];
                    x[m + 1] = 0;
                } else {
                    store(c, 3, x[r]);
                }
                return;
            case Q2DQ:
                x[r] = f.st[xm & 7];
                x[r + 1] = 0;
                f.mmxEnter();
                return;
            case DQ2Q:
                f.mmxEnter();
                f.setMmx(xr & 7, x[m]);
                return;
            case MSKPS:
                c.setReg(xr, 2, 0, (x[m] >>> 31 & 1) | (x[m] >>> 62 & 2) | (x[m + 1] >>> 29 & 4)
                        | (x[m + 1] >>> 60 & 8));
                return;
            case MSKPD:
                c.setReg(xr, 2, 0, (x[m] >>> 63) | (x[m + 1] >>> 62 & 2));
                return;
            default:
                c.setReg(xr, 2, 0, byteMask(x[m]) | byteMask(x[m + 1]) << 8);
        }
    }

    private static long dup(long v) {
        return v | v << 32;
    }

    /** The sign bits of the eight bytes of {@code v}. */
    static long byteMask(long v) {
        long s = v & 0x8080808080808080L;
        return (s * 0x0002040810204081L) >>> 56;
    }

    private void mmxMove(Cpu c) {
        Fpu f = mmx(c);
        switch (kind) {
            case MM_FROM_GPR: {
                long v = isReg ? c.reg(xm, gs, 0) : load(c, gs);
                f.mmxEnter();
                f.setMmx(xr & 7, v);
                return;
            }
            case MM_TO_GPR: {
                long v = f.st[xr & 7];
                if (isReg) {
                    c.setReg(xm, gs, 0, v);
                } else {
                    store(c, gs, v);
                }
                f.mmxEnter();
                return;
            }
            case MM_LOAD: {
                long v = srcM(c);
                f.mmxEnter();
                f.setMmx(xr & 7, v);
                return;
            }
            case MM_STORE:
                if (isReg) {
                    f.mmxEnter();
                    f.setMmx(xm & 7, f.st[xr & 7]);
                } else {
                    store(c, 3, f.st[xr & 7]);
                    f.mmxEnter();
                }
                return;
            default:
                c.setReg(xr, 2, 0, byteMask(f.st[xm & 7]));
                f.mmxEnter();
        }
    }
}
