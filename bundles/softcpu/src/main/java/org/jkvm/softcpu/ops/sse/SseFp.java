package org.jkvm.softcpu.ops.sse;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.fpu.Fp;
import org.jkvm.softcpu.fpu.Fpu;
import org.jkvm.softcpu.fpu.SseMath;

/**
 * SSE/SSE2/SSE3 floating-point arithmetic, packed and scalar, single and double (Intel SDM vol. 2): ADD, SUB, MUL,
 * DIV, MIN, MAX, SQRT, RCP, RSQRT, CMP (predicates 0-7), ADDSUB, HADD, HSUB. Scalar forms change only the low
 * lane; packed memory operands must be aligned. Flags of all lanes are recorded in MXCSR; an unmasked exception
 * writes no lane.
 */
public final class SseFp extends SseOp {
    public static final int CMP = 9;
    public static final int ADDSUB = 10;
    public static final int HADD = 11;
    public static final int HSUB = 12;
    /** Forms: packed single, packed double, scalar single, scalar double (the no/66/F3/F2 prefixes). */
    public static final int PS = 0;
    public static final int PD = 1;
    public static final int SS = 2;
    public static final int SD = 3;

    private final int kind;
    private final int form;
    private final int imm;

    /** @param kind a {@link SseMath} operation or {@link #CMP}, {@link #ADDSUB}, {@link #HADD}, {@link #HSUB} */
    public SseFp(Dec d, int kind, int form, int imm) {
        super(d);
        this.kind = kind;
        this.form = form;
        this.imm = imm & 7;
    }

    @Override
    public void exec(Cpu c) {
        Fpu f = sse(c);
        Fp fp = f.fp.sse(f.mxcsr);
        int r = 2 * xr;
        if (form == SS || form == SD) {
            long b = form == SS ? srcX32(c) : srcX64(c);
            long a = f.xmm[r];
            long v = form == SS ? lane32(fp, kind, (int) a, (int) b) & 0xffffffffL : lane64(fp, kind, a, b);
            commit(c, f, fp);
            f.xmm[r] = form == SS ? a & 0xffffffff00000000L | v : v;
            return;
        }
        long blo = srcX(c, true);
        long bhi = f.scratch[1];
        long alo = f.xmm[r];
        long ahi = f.xmm[r + 1];
        long rlo;
        long rhi;
        if (form == PD) {
            switch (kind) {
                case ADDSUB:
                    rlo = lane64(fp, SseMath.SUB, alo, blo);
                    rhi = lane64(fp, SseMath.ADD, ahi, bhi);
                    break;
                case HADD: case HSUB: {
                    int k = kind == HADD ? SseMath.ADD : SseMath.SUB;
                    rlo = lane64(fp, k, alo, ahi);
                    rhi = lane64(fp, k, blo, bhi);
                    break;
                }
                default:
                    rlo = lane64(fp, kind, alo, blo);
                    rhi = lane64(fp, kind, ahi, bhi);
            }
        } else {
            switch (kind) {
                case ADDSUB:
                    rlo = pair(fp, SseMath.SUB, SseMath.ADD, alo, blo, blo);
                    rhi = pair(fp, SseMath.SUB, SseMath.ADD, ahi, bhi, bhi);
                    break;
                case HADD: case HSUB: {
                    int k = kind == HADD ? SseMath.ADD : SseMath.SUB;
                    rlo = lane32(fp, k, (int) alo, (int) (alo >>> 32)) & 0xffffffffL
                            | (long) lane32(fp, k, (int) ahi, (int) (ahi >>> 32)) << 32;
                    rhi = lane32(fp, k, (int) blo, (int) (blo >>> 32)) & 0xffffffffL
                            | (long) lane32(fp, k, (int) bhi, (int) (bhi >>> 32)) << 32;
                    break;
                }
                default:
                    rlo = pair(fp, kind, kind, alo, blo, blo);
                    rhi = pair(fp, kind, kind, ahi, bhi, bhi);
            }
        }
        commit(c, f, fp);
        f.xmm[r] = rlo;
        f.xmm[r + 1] = rhi;
    }

    /** Two single lanes: {@code k0} on the low dwords of a and b, {@code k1} on the high dwords of a and b2. */
    private long pair(Fp fp, int k0, int k1, long a, long b, long b2) {
        return lane32(fp, k0, (int) a, (int) b) & 0xffffffffL | (long) lane32(fp, k1, (int) (a >>> 32),
                (int) (b2 >>> 32)) << 32;
    }

    private int lane32(Fp fp, int k, int a, int b) {
        if (k == CMP) {
            return SseMath.cmp(fp, imm, fp.unpack32(a, fp.a), fp.unpack32(b, fp.b)) ? -1 : 0;
        }
        return SseMath.f32(fp, k, a, b);
    }

    private long lane64(Fp fp, int k, long a, long b) {
        if (k == CMP) {
            return SseMath.cmp(fp, imm, fp.unpack64(a, fp.a), fp.unpack64(b, fp.b)) ? -1L : 0;
        }
        return SseMath.f64(fp, k, a, b);
    }
}
