package org.jkvm.softcpu.fpu;

/**
 * Conversions and the x87's integer-related operations: integer to floating point, floating point to integer
 * (rounded by the rounding control or truncated, with the "integer indefinite" for NaNs and values out of range),
 * rounding to an integral value (FRNDINT), FSCALE, FXTRACT and the partial remainders FPREM/FPREM1 (Intel SDM
 * vol. 2). Stateless; the {@link Fp} carries the settings and collects the flags.
 */
public final class FpConv {

    /** FPREM's quotient report for an incomplete reduction (C2 = 1, C0 C1 C3 cleared). */
    public static final int PREM_INCOMPLETE = 8;
    /** FPREM's quotient report for a NaN or invalid result (C1 C2 cleared, C0 C3 kept). */
    public static final int PREM_NAN = 16;

    private FpConv() {
    }

    /** A signed 64-bit integer in {@code fmt}, rounded to precision {@code p}. */
    public static long fromInt(Fp f, long v, int fmt, int p) {
        if (v == 0) {
            return f.zero(false, fmt);
        }
        boolean neg = v < 0;
        long mag = neg ? -v : v;
        int lz = Long.numberOfLeadingZeros(mag);
        return f.round(neg, 63 - lz, mag << lz, 0, fmt, p);
    }

    /**
     * {@code a} as a signed integer of {@code bits} (16, 32 or 64) bits: rounded by the rounding control, or toward
     * zero with {@code truncate}. NaNs, infinities and values out of range raise IE and give the integer indefinite
     * (only the sign bit set); a rounded result raises PE and sets {@link Fp#up} when rounded up in magnitude.
     */
    public static long toInt(Fp f, Num a, int bits, boolean truncate) {
        long indefinite = 1L << (bits - 1);
        if (a.cls != Num.FINITE) {
            if (a.cls == Num.ZERO) {
                return 0;
            }
            f.flags |= Fp.IE;
            return indefinite;
        }
        if (a.exp >= 63) {
            if (a.exp == 63 && a.neg && a.sig == Long.MIN_VALUE && bits == 64) {
                return Long.MIN_VALUE;
            }
            f.flags |= Fp.IE;
            return indefinite;
        }
        long ip;
        boolean rbit;
        boolean sticky;
        if (a.exp < 0) {
            ip = 0;
            rbit = a.exp == -1;
            sticky = a.exp < -1 || (a.sig << 1) != 0;
        } else {
            int sh = 63 - a.exp;
            ip = a.sig >>> sh;
            long frac = sh == 0 ? 0 : a.sig << (64 - sh);
            rbit = frac < 0;
            sticky = (frac << 1) != 0;
        }
        boolean inexact = rbit || sticky;
        boolean inc = !truncate && increment(f.rc, a.neg, (ip & 1) != 0, rbit, sticky);
        if (inc) {
            ip++;
        }
        long limit = a.neg ? indefinite : indefinite - 1;
        if (Long.compareUnsigned(ip, limit) > 0 || (bits == 64 && ip < 0 && !(a.neg && ip == Long.MIN_VALUE))) {
            f.flags |= Fp.IE;
            return indefinite;
        }
        if (inexact) {
            f.flags |= Fp.PE;
        }
        f.up = inc;
        long r = a.neg ? -ip : ip;
        return bits == 64 ? r : r & ((1L << bits) - 1);
    }

    /** Whether rounding by {@code rc} increments the magnitude. */
    static boolean increment(int rc, boolean neg, boolean lsb, boolean rbit, boolean sticky) {
        switch (rc) {
            case Fp.RN: return rbit && (sticky || lsb);
            case Fp.RD: return neg && (rbit || sticky);
            case Fp.RU: return !neg && (rbit || sticky);
            default: return false;
        }
    }

    /** FRNDINT: {@code a} rounded to an integral 80-bit value by the rounding control (PE when inexact). */
    public static long roundInt(Fp f, Num a) {
        if (a.cls >= Num.QNAN) {
            return FpMath.nanResult(f, a, null, Fp.F80);
        }
        if (a.denormal) {
            f.flags |= Fp.DE;
        }
        if (a.cls != Num.FINITE || a.exp >= 63) {
            return f.pack(a, Fp.F80, 64);
        }
        long kept;
        boolean rbit;
        boolean sticky;
        boolean lsb;
        int exp = a.exp;
        long unit;
        if (exp < 0) {
            kept = 0;
            lsb = false;
            rbit = exp == -1;
            sticky = exp < -1 || (a.sig << 1) != 0;
            unit = 0;
        } else {
            int sh = 63 - exp;
            unit = 1L << sh;
            kept = a.sig & -unit;
            long frac = sh == 0 ? 0 : a.sig << (64 - sh);
            rbit = frac < 0;
            sticky = (frac << 1) != 0;
            lsb = (a.sig & unit) != 0;
        }
        boolean inexact = rbit || sticky;
        if (inexact) {
            f.flags |= Fp.PE;
        }
        boolean inc = increment(f.rc, a.neg, lsb, rbit, sticky);
        if (exp < 0) {
            long m = inc ? f.round(a.neg, 0, Long.MIN_VALUE, 0, Fp.F80, 64) : f.zero(a.neg, Fp.F80);
            f.up = inc;
            return m;
        }
        if (inc) {
            kept += unit;
            if (kept == 0) {
                kept = Long.MIN_VALUE;
                exp++;
            }
        }
        long m = kept == 0 ? f.zero(a.neg, Fp.F80) : f.round(a.neg, exp, kept, 0, Fp.F80, 64);
        f.up = inc;
        return m;
    }

    /** FSCALE: {@code a * 2^trunc(b)}. */
    public static long scale(Fp f, Num a, Num b) {
        if (FpMath.anyNan(a, b)) {
            return FpMath.nanResult(f, a, b, Fp.F80);
        }
        if ((a.cls == Num.INF && b.cls == Num.INF && b.neg) || (a.cls == Num.ZERO && b.cls == Num.INF && !b.neg)) {
            return f.invalid(Fp.F80);
        }
        if (a.denormal || b.denormal) {
            f.flags |= Fp.DE;
        }
        if (a.cls == Num.INF || a.cls == Num.ZERO) {
            return f.pack(a, Fp.F80, 64);
        }
        if (b.cls == Num.INF) {
            return b.neg ? f.zero(a.neg, Fp.F80) : f.inf(a.neg, Fp.F80);
        }
        long n = 0;
        if (b.cls == Num.FINITE && b.exp >= 0) {
            n = b.exp >= 30 ? 1L << 30 : b.sig >>> (63 - b.exp);
        }
        int shift = (int) (b.neg ? -n : n);
        return f.round(a.neg, a.exp + shift, a.sig, 0, Fp.F80, 64);
    }

    /**
     * FPREM ({@code ieee} false: quotient truncated) and FPREM1 (quotient rounded to nearest): the partial
     * remainder of {@code a / b} as an 80-bit value; {@code quotient[0]} gets the low three quotient bits, or -1
     * or {@link #PREM_INCOMPLETE} or {@link #PREM_NAN}.
     */
    public static long remainder(Fp f, Num a, Num b, boolean ieee, int[] quotient) {
        quotient[0] = 0;
        if (FpMath.anyNan(a, b)) {
            quotient[0] = PREM_NAN;
            return FpMath.nanResult(f, a, b, Fp.F80);
        }
        if (a.cls == Num.INF || b.cls == Num.ZERO) {
            quotient[0] = PREM_NAN;
            return f.invalid(Fp.F80);
        }
        if (a.denormal || b.denormal) {
            f.flags |= Fp.DE;
        }
        if (a.cls == Num.ZERO || b.cls == Num.INF) {
            return f.pack(a, Fp.F80, 64);
        }
        int d = a.exp - b.exp;
        if (d >= 64) {
            return partial(f, a, b, d, quotient);
        }
        if (d == -1 && ieee && Long.compareUnsigned(a.sig, b.sig) > 0) {
            // |a| in (|b|/2, |b|): the nearest quotient is 1; a - b has the other sign and the magnitude
            // (2 mb - ma) * 2^(eb - 64), computed as mb - (ma - mb) to stay in 64 bits.
            quotient[0] = 1;
            return normal(f, !a.neg, b.exp - 1, b.sig - (a.sig - b.sig));
        }
        if (d < 0) {
            return f.pack(a, Fp.F80, 64);
        }
        long[] rem = f.divScratch;
        long hi = d == 0 ? 0 : a.sig >>> (64 - d);
        long q = FpMath.divlu(hi, a.sig << d, b.sig, rem);
        long r = rem[0];
        if (ieee) {
            int c = Long.compareUnsigned(r, b.sig - r);
            if (c > 0 || (c == 0 && (q & 1) != 0)) {
                quotient[0] = (int) ((q + 1) & 7);
                return normal(f, !a.neg, b.exp, b.sig - r);
            }
        }
        quotient[0] = (int) (q & 7);
        return normal(f, a.neg, b.exp, r);
    }

    /** An exact value {@code m * 2^(e - 63)} (m may be unnormalised or zero), packed as 80 bits. */
    private static long normal(Fp f, boolean neg, int e, long m) {
        if (m == 0) {
            return f.zero(neg, Fp.F80);
        }
        int lz = Long.numberOfLeadingZeros(m);
        return f.round(neg, e - lz, m << lz, 0, Fp.F80, 64);
    }

    /**
     * One step of an incomplete reduction (C2 = 1; both FPREM and FPREM1 truncate here): with the SDM's
     * implementation-dependent N = 32 + (d mod 32) (AMD's choice, which this host's results show), subtract
     * {@code b * QQ * 2^(d - N)} where {@code QQ} is the truncated quotient of {@code a / (b * 2^(d - N))}, leaving
     * {@code ((ma * 2^N) mod mb) * 2^(ea - N - 63)}.
     */
    private static long partial(Fp f, Num a, Num b, int d, int[] quotient) {
        int n = 32 + d % 32;
        long[] rem = f.divScratch;
        FpMath.divlu(a.sig >>> (64 - n), a.sig << n, b.sig, rem);
        quotient[0] = PREM_INCOMPLETE;
        return normal(f, a.neg, a.exp - n, rem[0]);
    }

    /** FXTRACT's exponent part: the unbiased exponent of {@code a} as an 80-bit value. */
    public static long exponentOf(Fp f, Num a) {
        return fromInt(f, a.exp, Fp.F80, 64);
    }
}
