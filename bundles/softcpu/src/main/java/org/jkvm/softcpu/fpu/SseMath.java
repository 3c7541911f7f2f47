package org.jkvm.softcpu.fpu;

/**
 * One lane of an SSE floating-point operation on single or double precision bits, under MXCSR (set up with
 * {@link Fp#sse}); flags accumulate in {@link Fp#flags}. Round-to-nearest operations on normal operands whose
 * result is safely inside the normal range run on Java's own IEEE 754 arithmetic, which is then exactly the
 * SSE result; the inexact flag comes from an error-free transformation (the sum's error, or a fused multiply-add
 * residual). Everything else (other rounding directions, denormals with DAZ/FTZ, NaNs, results near overflow or
 * underflow) takes the software path of {@link FpMath}.
 */
public final class SseMath {
    public static final int ADD = 0;
    public static final int SUB = 1;
    public static final int MUL = 2;
    public static final int DIV = 3;
    public static final int MIN = 4;
    public static final int MAX = 5;
    public static final int SQRT = 6;
    public static final int RCP = 7;
    public static final int RSQRT = 8;

    private SseMath() {
    }

    private static boolean normal64(long bits) {
        long e = bits >>> 52 & 0x7ff;
        return e != 0 && e != 0x7ff;
    }

    private static boolean normal32(int bits) {
        int e = bits >>> 23 & 0xff;
        return e != 0 && e != 0xff;
    }

    /** {@code a op b} in double precision ({@code a} unused by the unary SQRT, RCP, RSQRT). */
    public static long f64(Fp fp, int op, long a, long b) {
        if (op == MIN || op == MAX) {
            return minMax(fp, op == MAX, a, b, Fp.F64);
        }
        if (op >= RCP) {
            return fp.nan(fp.unpack64(b, fp.b), Fp.F64);
        }
        if (fp.rc == Fp.RN && normal64(b) && (op == SQRT || normal64(a))) {
            double x = Double.longBitsToDouble(a);
            double y = Double.longBitsToDouble(b);
            double r;
            boolean inexact;
            int minExp;
            switch (op) {
                case ADD: case SUB: {
                    double yy = op == ADD ? y : -y;
                    r = x + yy;
                    double bb = r - x;
                    inexact = (x - (r - bb)) + (yy - bb) != 0;
                    minExp = 2;
                    break;
                }
                case MUL:
                    r = x * y;
                    inexact = Math.fma(x, y, -r) != 0;
                    minExp = 128;
                    break;
                case DIV:
                    r = x / y;
                    inexact = Math.fma(-r, y, x) != 0;
                    minExp = (a >>> 52 & 0x7ff) >= 128 ? 128 : 0x800;
                    break;
                default:
                    r = Math.sqrt(y);
                    inexact = Math.fma(r, r, -y) != 0;
                    minExp = (b >>> 52 & 0x7ff) >= 128 && b > 0 ? 0 : 0x800;
                    break;
            }
            long bits = Double.doubleToRawLongBits(r);
            long e = bits >>> 52 & 0x7ff;
            if (e >= minExp && e != 0x7ff) {
                if (inexact) {
                    fp.flags |= Fp.PE;
                }
                return bits;
            }
        }
        return slow(fp, op, fp.unpack64(a, fp.a), fp.unpack64(b, fp.b), Fp.F64);
    }

    /** {@code a op b} in single precision. */
    public static int f32(Fp fp, int op, int a, int b) {
        if (op == MIN || op == MAX) {
            return (int) minMax(fp, op == MAX, a, b, Fp.F32);
        }
        if (op >= RCP) {
            return approx(fp, op, b);
        }
        if (fp.rc == Fp.RN && normal32(b) && (op == SQRT || normal32(a))) {
            double x = Float.intBitsToFloat(a);
            double y = Float.intBitsToFloat(b);
            float r;
            boolean inexact;
            switch (op) {
                case ADD: case SUB: {
                    double yy = op == ADD ? y : -y;
                    double s = x + yy;
                    double bb = s - x;
                    r = (float) s;
                    inexact = (x - (s - bb)) + (yy - bb) != 0 || r != s;
                    break;
                }
                case MUL: {
                    double p = x * y;
                    r = (float) p;
                    inexact = r != p;
                    break;
                }
                case DIV:
                    r = (float) (x / y);
                    inexact = Math.fma(-(double) r, y, x) != 0;
                    break;
                default:
                    r = (float) Math.sqrt(y);
                    inexact = (double) r * r != y;
                    break;
            }
            int bits = Float.floatToRawIntBits(r);
            int e = bits >>> 23 & 0xff;
            if (e >= 2 && e != 0xff && !(op == SQRT && b < 0)) {
                if (inexact) {
                    fp.flags |= Fp.PE;
                }
                return bits;
            }
        }
        return (int) slow(fp, op, fp.unpack32(a, fp.a), fp.unpack32(b, fp.b), Fp.F32);
    }

    private static long slow(Fp fp, int op, Num x, Num y, int fmt) {
        int p = fmt == Fp.F32 ? 24 : 53;
        switch (op) {
            case ADD: return FpMath.add(fp, x, y, false, fmt, p);
            case SUB: return FpMath.add(fp, x, y, true, fmt, p);
            case MUL: return FpMath.mul(fp, x, y, fmt, p);
            case DIV: return FpMath.div(fp, x, y, fmt, p);
            default: return FpMath.sqrt(fp, y, fmt, p);
        }
    }

    /**
     * MINPS/MAXPS and the like: the second operand when either is a NaN (IE for any NaN) or both are zeros,
     * else the smaller/larger; DE for denormals (none with DAZ, which compares them as zeros).
     */
    private static long minMax(Fp fp, boolean max, long a, long b, int fmt) {
        Num x = fmt == Fp.F32 ? fp.unpack32((int) a, fp.a) : fp.unpack64(a, fp.a);
        Num y = fmt == Fp.F32 ? fp.unpack32((int) b, fp.b) : fp.unpack64(b, fp.b);
        int r = FpMath.compare(fp, x, y, true);
        if (r == FpMath.UN || r == FpMath.EQ) {
            long v = fp.daz && y.cls == Num.ZERO ? (fmt == Fp.F32 ? b & 0x80000000L : b & Long.MIN_VALUE) : b;
            return fmt == Fp.F32 ? v & 0xffffffffL : v;
        }
        boolean pickA = max ? r == FpMath.GT : r == FpMath.LT;
        long v = pickA ? a : b;
        if (fp.daz && (pickA ? x : y).cls == Num.ZERO) {
            // DAZ reads a denormal as a zero of its sign: that zero is the result.
            v = fmt == Fp.F32 ? v & 0x80000000L : v & Long.MIN_VALUE;
        }
        return fmt == Fp.F32 ? v & 0xffffffffL : v;
    }

    /**
     * RCPPS/RSQRTPS: the reciprocal and reciprocal square root, here correctly rounded (the architecture only
     * promises a relative error within 1.5 * 2^-12, so hardware values differ in the low bits); denormal
     * operands count as zeros and results below the normal range flush to zero; no flags.
     */
    private static int approx(Fp fp, int op, int b) {
        int flags = fp.flags;
        Num y = fp.unpack32(b, fp.b);
        int r;
        if (y.nan()) {
            r = (int) fp.nan(y, Fp.F32);
        } else if (y.cls == Num.ZERO || y.denormal) {
            r = (int) fp.inf(y.neg, Fp.F32);
        } else if (y.cls == Num.INF) {
            r = op == RSQRT && y.neg ? (int) fp.indefinite(Fp.F32) : (int) fp.zero(y.neg, Fp.F32);
        } else if (op == RSQRT && y.neg) {
            r = (int) fp.indefinite(Fp.F32);
        } else {
            double v = Float.intBitsToFloat(b);
            float q = (float) (op == RCP ? 1 / v : 1 / Math.sqrt(v));
            r = Math.abs(q) < Float.MIN_NORMAL ? (int) fp.zero(q < 0 || y.neg, Fp.F32) : Float.floatToRawIntBits(q);
        }
        fp.flags = flags;
        return r;
    }

    /** The comparison predicate {@code imm & 7} of CMPPS and friends: all ones when true. */
    public static boolean cmp(Fp fp, int pred, Num x, Num y) {
        boolean signal = pred == 1 || pred == 2 || pred == 5 || pred == 6;
        int r = FpMath.compare(fp, x, y, signal);
        switch (pred) {
            case 0: return r == FpMath.EQ;
            case 1: return r == FpMath.LT;
            case 2: return r == FpMath.LT || r == FpMath.EQ;
            case 3: return r == FpMath.UN;
            case 4: return r != FpMath.EQ;
            case 5: return r != FpMath.LT;
            case 6: return r != FpMath.LT && r != FpMath.EQ;
            default: return r != FpMath.UN;
        }
    }
}
