package org.jkvm.softcpu.fpu;

/**
 * The basic operations on unpacked operands, each correctly rounded through {@link Fp#round}: addition,
 * multiplication, division, square root, and comparison; with the special cases of IEEE 754 and the NaN rules of
 * the x87 and of SSE (Intel SDM vol. 1, table 4-7: the x87 returns the NaN with the larger significand, a quiet one
 * before a signalling one; SSE returns the first source if it is a NaN). Exact intermediate results are kept in 128
 * bits plus a sticky bit. Stateless; the {@link Fp} carries the settings and collects the flags.
 */
public final class FpMath {
    /** Comparison results (as the x87's C3 C2 C0 order them: greater, less, equal, unordered). */
    public static final int GT = 0;
    public static final int LT = 1;
    public static final int EQ = 2;
    public static final int UN = 3;

    private FpMath() {
    }

    /** The NaN result of an operation with a NaN or unsupported operand (IE for signalling and unsupported). */
    static long nanResult(Fp f, Num a, Num b, int fmt) {
        if (a.cls == Num.BAD || (b != null && b.cls == Num.BAD)) {
            return f.invalid(fmt);
        }
        boolean an = a.nan();
        boolean bn = b != null && b.nan();
        if (a.cls == Num.SNAN || (bn && b.cls == Num.SNAN)) {
            f.flags |= Fp.IE;
        }
        Num pick;
        if (!bn) {
            pick = a;
        } else if (!an) {
            pick = b;
        } else if (!f.x87) {
            pick = a;
        } else if (a.cls != b.cls) {
            pick = a.cls == Num.QNAN ? a : b;
        } else {
            long ma = a.sig & ~(1L << 62);
            long mb = b.sig & ~(1L << 62);
            int cmp = Long.compareUnsigned(ma, mb);
            pick = cmp > 0 ? a : cmp < 0 ? b : !a.neg ? a : b;
        }
        return f.nan(pick, fmt);
    }

    /** Whether either operand is a NaN or unsupported. */
    static boolean anyNan(Num a, Num b) {
        return a.cls >= Num.QNAN || b.cls >= Num.QNAN;
    }

    private static void denormals(Fp f, Num a, Num b) {
        if (a.denormal || (b != null && b.denormal)) {
            f.flags |= Fp.DE;
        }
    }

    /** {@code a + b} (or {@code a - b} with {@code sub}). */
    public static long add(Fp f, Num a, Num b, boolean sub, int fmt, int p) {
        if (anyNan(a, b)) {
            return nanResult(f, a, b, fmt);
        }
        boolean bneg = b.neg ^ sub;
        denormals(f, a, b);
        if (a.cls == Num.INF || b.cls == Num.INF) {
            if (a.cls == Num.INF && b.cls == Num.INF && a.neg != bneg) {
                return f.invalid(fmt);
            }
            return f.inf(a.cls == Num.INF ? a.neg : bneg, fmt);
        }
        if (a.cls == Num.ZERO && b.cls == Num.ZERO) {
            return f.zero(a.neg == bneg ? a.neg : f.rc == Fp.RD, fmt);
        }
        if (b.cls == Num.ZERO) {
            return f.round(a.neg, a.exp, a.sig, 0, fmt, p);
        }
        if (a.cls == Num.ZERO) {
            return f.round(bneg, b.exp, b.sig, 0, fmt, p);
        }
        return addFinite(f, a.neg, a.exp, a.sig, bneg, b.exp, b.sig, fmt, p);
    }

    /** The sum of two finite nonzero values, rounded. */
    static long addFinite(Fp f, boolean an, int ae, long as, boolean bn, int be, long bs, int fmt, int p) {
        if (ae < be || (ae == be && Long.compareUnsigned(as, bs) < 0)) {
            boolean tn = an;
            an = bn;
            bn = tn;
            int te = ae;
            ae = be;
            be = te;
            long ts = as;
            as = bs;
            bs = ts;
        }
        f.jam(bs, 0, ae - be);
        long bh = f.jamHi;
        long bl = f.jamLo;
        long hi;
        long lo;
        int exp = ae;
        if (an == bn) {
            lo = bl;
            hi = as + bh;
            if (Long.compareUnsigned(hi, as) < 0) {
                f.jam(hi, lo, 1);
                hi = f.jamHi | Long.MIN_VALUE;
                lo = f.jamLo;
                exp++;
            }
        } else {
            lo = -bl;
            hi = as - bh - (bl != 0 ? 1 : 0);
            if (hi == 0 && lo == 0) {
                return f.zero(f.rc == Fp.RD, fmt);
            }
            int lz = hi != 0 ? Long.numberOfLeadingZeros(hi) : 64 + Long.numberOfLeadingZeros(lo);
            if (lz >= 64) {
                hi = lo << (lz - 64);
                lo = 0;
            } else if (lz > 0) {
                hi = hi << lz | lo >>> (64 - lz);
                lo = lo << lz;
            }
            exp -= lz;
        }
        return f.round(an, exp, hi, lo, fmt, p);
    }

    /** {@code a * b}. */
    public static long mul(Fp f, Num a, Num b, int fmt, int p) {
        if (anyNan(a, b)) {
            return nanResult(f, a, b, fmt);
        }
        boolean neg = a.neg ^ b.neg;
        if ((a.cls == Num.INF && b.cls == Num.ZERO) || (a.cls == Num.ZERO && b.cls == Num.INF)) {
            return f.invalid(fmt);
        }
        denormals(f, a, b);
        if (a.cls == Num.INF || b.cls == Num.INF) {
            return f.inf(neg, fmt);
        }
        if (a.cls == Num.ZERO || b.cls == Num.ZERO) {
            return f.zero(neg, fmt);
        }
        long lo = a.sig * b.sig;
        long hi = mulHigh(a.sig, b.sig);
        int exp = a.exp + b.exp;
        if (hi < 0) {
            exp++;
        } else {
            hi = hi << 1 | lo >>> 63;
            lo <<= 1;
        }
        return f.round(neg, exp, hi, lo, fmt, p);
    }

    /** The high 64 bits of the unsigned 128-bit product. */
    public static long mulHigh(long x, long y) {
        return Math.multiplyHigh(x, y) + ((x >> 63) & y) + ((y >> 63) & x);
    }

    /** {@code a / b}. */
    public static long div(Fp f, Num a, Num b, int fmt, int p) {
        if (anyNan(a, b)) {
            return nanResult(f, a, b, fmt);
        }
        boolean neg = a.neg ^ b.neg;
        if ((a.cls == Num.INF && b.cls == Num.INF) || (a.cls == Num.ZERO && b.cls == Num.ZERO)) {
            return f.invalid(fmt);
        }
        if (b.cls == Num.ZERO && a.cls != Num.INF) {
            // Division by zero outranks a denormal dividend: ZE alone (as this host's SSE shows).
            f.flags |= Fp.ZE;
            return f.inf(neg, fmt);
        }
        denormals(f, a, b);
        if (a.cls == Num.INF) {
            return f.inf(neg, fmt);
        }
        if (b.cls == Num.INF) {
            return f.zero(neg, fmt);
        }
        if (a.cls == Num.ZERO) {
            return f.zero(neg, fmt);
        }
        long[] r = f.divScratch;
        long x = a.sig;
        long d = b.sig;
        int exp = a.exp - b.exp;
        long hi;
        long lo;
        if (Long.compareUnsigned(x, d) >= 0) {
            x -= d;
            long q2 = divlu(x, 0, d, r);
            long q3 = divlu(r[0], 0, d, r);
            hi = Long.MIN_VALUE | q2 >>> 1;
            lo = q2 << 63 | q3 >>> 1 | ((q3 & 1) != 0 || r[0] != 0 ? 1 : 0);
        } else {
            hi = divlu(x, 0, d, r);
            lo = divlu(r[0], 0, d, r);
            lo |= r[0] != 0 ? 1 : 0;
            exp--;
        }
        return f.round(neg, exp, hi, lo, fmt, p);
    }

    /**
     * Unsigned {@code (u1:u0) / v} for {@code u1 < v}: the 64-bit quotient, the remainder in {@code rem[0]}
     * (long division in 32-bit digits, Knuth's algorithm D as in Hacker's Delight, 9-3).
     */
    public static long divlu(long u1, long u0, long v, long[] rem) {
        final long b = 1L << 32;
        int s = Long.numberOfLeadingZeros(v);
        v <<= s;
        long vn1 = v >>> 32;
        long vn0 = v & 0xffffffffL;
        long un32 = s == 0 ? u1 : u1 << s | u0 >>> (64 - s);
        long un10 = u0 << s;
        long un1 = un10 >>> 32;
        long un0 = un10 & 0xffffffffL;
        long q1 = Long.divideUnsigned(un32, vn1);
        long rhat = un32 - q1 * vn1;
        while (Long.compareUnsigned(q1, b) >= 0 || Long.compareUnsigned(q1 * vn0, b * rhat + un1) > 0) {
            q1--;
            rhat += vn1;
            if (Long.compareUnsigned(rhat, b) >= 0) {
                break;
            }
        }
        long un21 = un32 * b + un1 - q1 * v;
        long q0 = Long.divideUnsigned(un21, vn1);
        rhat = un21 - q0 * vn1;
        while (Long.compareUnsigned(q0, b) >= 0 || Long.compareUnsigned(q0 * vn0, b * rhat + un0) > 0) {
            q0--;
            rhat += vn1;
            if (Long.compareUnsigned(rhat, b) >= 0) {
                break;
            }
        }
        rem[0] = (un21 * b + un0 - q0 * v) >>> s;
        return q1 * b + q0;
    }

    /** The square root of {@code a}. */
    public static long sqrt(Fp f, Num a, int fmt, int p) {
        if (a.cls >= Num.QNAN) {
            return nanResult(f, a, null, fmt);
        }
        if (a.cls == Num.ZERO) {
            return f.zero(a.neg, fmt);
        }
        if (a.neg) {
            return f.invalid(fmt);
        }
        denormals(f, a, null);
        if (a.cls == Num.INF) {
            return f.inf(false, fmt);
        }
        // value = sig * 2^(exp - 63); take R = sig * 2^k with exp - 63 - k even, k in {126, 127}: the root of R
        // has 95-96 bits, enough for any precision plus a round bit, and the remainder gives the sticky bit.
        int k = ((a.exp - 63) & 1) == 0 ? 126 : 127;
        java.math.BigInteger r = java.math.BigInteger.valueOf(a.sig >>> 1).shiftLeft(k + 1)
                .or(java.math.BigInteger.valueOf(a.sig & 1).shiftLeft(k));
        java.math.BigInteger root = r.sqrt();
        boolean sticky = root.multiply(root).compareTo(r) != 0;
        int bits = root.bitLength();
        java.math.BigInteger top = root.shiftLeft(128 - bits);
        long hi = top.shiftRight(64).longValue();
        long lo = top.longValue() | (sticky ? 1 : 0);
        int exp = (a.exp - 63 - k) / 2 + bits - 1;
        return f.round(false, exp, hi, lo, fmt, p);
    }

    /**
     * Compares {@code a} and {@code b}: {@link #GT}, {@link #LT}, {@link #EQ} or {@link #UN}. Signalling NaNs and
     * unsupported operands raise IE; quiet NaNs too when {@code signalQuiet} (FCOM, COMISS); denormals DE.
     */
    public static int compare(Fp f, Num a, Num b, boolean signalQuiet) {
        if (anyNan(a, b)) {
            if (a.cls == Num.SNAN || b.cls == Num.SNAN || a.cls == Num.BAD || b.cls == Num.BAD || signalQuiet) {
                f.flags |= Fp.IE;
            }
            return UN;
        }
        denormals(f, a, b);
        if (a.cls == Num.ZERO && b.cls == Num.ZERO) {
            return EQ;
        }
        int c = magnitude(a, b);
        if (a.neg != b.neg) {
            return a.neg ? LT : GT;
        }
        if (c == 0) {
            return EQ;
        }
        return (c > 0) != a.neg ? GT : LT;
    }

    /** Compares magnitudes (zero < finite < infinity). */
    private static int magnitude(Num a, Num b) {
        int ra = a.cls == Num.ZERO ? 0 : a.cls == Num.FINITE ? 1 : 2;
        int rb = b.cls == Num.ZERO ? 0 : b.cls == Num.FINITE ? 1 : 2;
        if (ra != rb || ra != 1) {
            return Integer.compare(ra, rb);
        }
        if (a.exp != b.exp) {
            return Integer.compare(a.exp, b.exp);
        }
        return Long.compareUnsigned(a.sig, b.sig);
    }
}
