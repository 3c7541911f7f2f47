package org.jkvm.softcpu.fpu;

/**
 * The software floating-point engine of one CPU: unpacking and packing of the three IEEE 754 binary formats the x87
 * and SSE use (single, double, and the x87's 80-bit double-extended with its explicit integer bit), and the one
 * rounding routine every operation ends in. An operation is set up with {@link #x87} or {@link #sse}, which reset
 * {@link #flags} and {@link #up}; it then accumulates exception flags (the low six bits of the x87 status word and
 * of MXCSR share one layout: IE DE ZE OE UE PE) and reports whether its result was rounded up in magnitude (the
 * x87's C1).
 *
 * <p>Rounding (Intel SDM vol. 1, 4.8 and 4.9; IEEE 754-2008): round to the precision (24, 53 or 64 bits, the x87's
 * precision control narrowing only the significand), with the four directions; tininess is detected after rounding
 * with an unbounded exponent, as x86 does; a masked underflow is flagged only when the result is also inexact; an
 * unmasked x87 underflow or overflow delivers the result with its exponent adjusted by 24576 (SDM 8.5.4, 8.5.5);
 * MXCSR.FZ flushes a tiny result to zero (UE and PE), MXCSR.DAZ reads denormal operands as zero.
 *
 * <p>Not thread-safe: one per CPU, used by its thread only.
 */
public final class Fp {
    public static final int IE = 1;
    public static final int DE = 2;
    public static final int ZE = 4;
    public static final int OE = 8;
    public static final int UE = 16;
    public static final int PE = 32;
    /** Single (binary32), double (binary64) and x87 double-extended formats. */
    public static final int F32 = 0;
    public static final int F64 = 1;
    public static final int F80 = 2;
    /** Rounding directions (FCW.RC and MXCSR.RC). */
    public static final int RN = 0;
    public static final int RD = 1;
    public static final int RU = 2;
    public static final int RZ = 3;
    /** The exponent adjustment of an unmasked x87 overflow or underflow (3 * 2^13). */
    public static final int BIAS_ADJUST = 24576;

    static final int[] EMIN = {-126, -1022, -16382};
    static final int[] EMAX = {127, 1023, 16383};
    static final int[] BIAS = {127, 1023, 16383};
    static final int[] PREC = {24, 53, 64};

    // The current operation's settings.
    public int rc;
    /** Significand precision of 80-bit results (the x87's precision control). */
    public int prec = 64;
    public boolean ftz;
    public boolean daz;
    /** Exceptions the control word or MXCSR leaves unmasked. */
    public int unmasked;
    /** x87 rules: NaN selection by significand, bias-adjusted results for unmasked overflow/underflow. */
    public boolean x87;

    // The current operation's outputs.
    public int flags;
    /** The result was rounded up in magnitude (x87 C1). */
    public boolean up;
    /** Sign and biased exponent of the last 80-bit result (the mantissa is the return value). */
    public int outSe;

    /** The remainder of {@link FpMath#divlu}. */
    final long[] divScratch = new long[1];

    /** Operand scratch. */
    public final Num a = new Num();
    public final Num b = new Num();
    public final Num t = new Num();

    /** Sets up an x87 operation under control word {@code fcw}. */
    public Fp x87(int fcw) {
        rc = (fcw >> 10) & 3;
        int pc = (fcw >> 8) & 3;
        prec = pc == 0 ? 24 : pc == 2 ? 53 : 64;
        unmasked = ~fcw & 0x3f;
        ftz = false;
        daz = false;
        x87 = true;
        flags = 0;
        up = false;
        return this;
    }

    /** Sets up an SSE operation under {@code mxcsr}. */
    public Fp sse(int mxcsr) {
        rc = (mxcsr >> 13) & 3;
        prec = 64;
        unmasked = ~(mxcsr >> 7) & 0x3f;
        ftz = (mxcsr & 0x8000) != 0;
        daz = (mxcsr & 0x40) != 0;
        x87 = false;
        flags = 0;
        up = false;
        return this;
    }

    // ---- unpacking ---------------------------------------------------------------------------------------------

    /** Unpacks a binary32 (denormals read as zero under DAZ). */
    public Num unpack32(int bits, Num n) {
        boolean neg = bits < 0;
        int e = (bits >>> 23) & 0xff;
        long frac = bits & 0x7fffffL;
        if (e == 0xff) {
            return n.special(frac == 0 ? Num.INF : (frac & 0x400000) != 0 ? Num.QNAN : Num.SNAN, neg,
                    Long.MIN_VALUE | frac << 40);
        }
        if (e == 0) {
            if (frac == 0 || daz) {
                return n.special(Num.ZERO, neg, 0);
            }
            int lz = Long.numberOfLeadingZeros(frac);
            n.finite(neg, -126 - (lz - 40), frac << lz);
            n.denormal = true;
            return n;
        }
        return n.finite(neg, e - 127, Long.MIN_VALUE | frac << 40);
    }

    /** Unpacks a binary64 (denormals read as zero under DAZ). */
    public Num unpack64(long bits, Num n) {
        boolean neg = bits < 0;
        int e = (int) (bits >>> 52) & 0x7ff;
        long frac = bits & 0xfffffffffffffL;
        if (e == 0x7ff) {
            return n.special(frac == 0 ? Num.INF : (frac & (1L << 51)) != 0 ? Num.QNAN : Num.SNAN, neg,
                    Long.MIN_VALUE | frac << 11);
        }
        if (e == 0) {
            if (frac == 0 || daz) {
                return n.special(Num.ZERO, neg, 0);
            }
            int lz = Long.numberOfLeadingZeros(frac);
            n.finite(neg, -1022 - (lz - 11), frac << lz);
            n.denormal = true;
            return n;
        }
        return n.finite(neg, e - 1023, Long.MIN_VALUE | frac << 11);
    }

    /**
     * Unpacks an 80-bit value: pseudo-denormals (exponent 0, integer bit set) read as denormal operands of the
     * smallest exponent; unnormals, pseudo-infinities and pseudo-NaNs are {@link Num#BAD}.
     */
    public Num unpack80(int se, long m, Num n) {
        boolean neg = (se & 0x8000) != 0;
        int e = se & 0x7fff;
        if (e == 0x7fff) {
            if (m >= 0) {
                return n.special(Num.BAD, neg, m);
            }
            long frac = m << 1;
            return n.special(frac == 0 ? Num.INF : (m & (1L << 62)) != 0 ? Num.QNAN : Num.SNAN, neg, m);
        }
        if (e == 0) {
            if (m == 0) {
                return n.special(Num.ZERO, neg, 0);
            }
            int lz = Long.numberOfLeadingZeros(m);
            n.finite(neg, -16382 - lz, m << lz);
            n.denormal = true;
            return n;
        }
        if (m >= 0) {
            return n.special(Num.BAD, neg, m);
        }
        return n.finite(neg, e - 16383, m);
    }

    // ---- packing -----------------------------------------------------------------------------------------------

    /** A zero of {@code fmt} (for F80 the sign goes to {@link #outSe}). */
    public long zero(boolean neg, int fmt) {
        switch (fmt) {
            case F32: return neg ? 0x80000000L : 0;
            case F64: return neg ? Long.MIN_VALUE : 0;
            default:
                outSe = neg ? 0x8000 : 0;
                return 0;
        }
    }

    /** An infinity of {@code fmt}. */
    public long inf(boolean neg, int fmt) {
        switch (fmt) {
            case F32: return (neg ? 0x80000000L : 0) | 0x7f800000L;
            case F64: return (neg ? Long.MIN_VALUE : 0) | 0x7ff0000000000000L;
            default:
                outSe = (neg ? 0x8000 : 0) | 0x7fff;
                return Long.MIN_VALUE;
        }
    }

    /** The largest finite value of {@code fmt} at precision {@code p}. */
    long maxFinite(boolean neg, int fmt, int p) {
        switch (fmt) {
            case F32: return (neg ? 0x80000000L : 0) | 0x7f7fffffL;
            case F64: return (neg ? Long.MIN_VALUE : 0) | 0x7fefffffffffffffL;
            default:
                outSe = (neg ? 0x8000 : 0) | 0x7ffe;
                return -1L << (64 - p);
        }
    }

    /** The NaN {@code n} (quieted) in {@code fmt}; its payload's high bits are kept. */
    public long nan(Num n, int fmt) {
        long q = n.sig | 1L << 62;
        switch (fmt) {
            case F32: return (n.neg ? 0x80000000L : 0) | 0x7f800000L | (q >>> 40 & 0x7fffffL);
            case F64: return (n.neg ? Long.MIN_VALUE : 0) | 0x7ff0000000000000L | (q >>> 11 & 0xfffffffffffffL);
            default:
                outSe = (n.neg ? 0x8000 : 0) | 0x7fff;
                return q | Long.MIN_VALUE;
        }
    }

    /** The default NaN ("real indefinite": negative, quiet bit only) of {@code fmt}. */
    public long indefinite(int fmt) {
        switch (fmt) {
            case F32: return 0xffc00000L;
            case F64: return 0xfff8000000000000L;
            default:
                outSe = 0xffff;
                return 0xc000000000000000L;
        }
    }

    /** Raises IE and returns the default NaN. */
    public long invalid(int fmt) {
        flags |= IE;
        return indefinite(fmt);
    }

    /** Packs {@code n} (any class), rounding a finite value to {@code fmt} at precision {@code p}. */
    public long pack(Num n, int fmt, int p) {
        switch (n.cls) {
            case Num.ZERO: return zero(n.neg, fmt);
            case Num.INF: return inf(n.neg, fmt);
            case Num.FINITE: return round(n.neg, n.exp, n.sig, 0, fmt, p);
            case Num.BAD: return invalid(fmt);
            default: return nan(n, fmt);
        }
    }

    // ---- rounding ----------------------------------------------------------------------------------------------

    /**
     * Rounds {@code (hi:lo) * 2^(exp - 127)}, {@code hi}'s bit 63 set, to {@code fmt} at precision {@code p} under
     * the current settings; returns the packed bits (binary32/64) or the 80-bit mantissa (with {@link #outSe}).
     */
    public long round(boolean neg, int exp, long hi, long lo, int fmt, int p) {
        int emin = EMIN[fmt];
        boolean tiny = false;
        boolean adjusted = false;
        boolean undelivered = false;
        if (exp < emin) {
            tiny = exp < emin - 1 || !carries(neg, hi, lo, p);
            boolean um = (unmasked & UE) != 0;
            if (tiny && ftz && !um) {
                flags |= UE | PE;
                return zero(neg, fmt);
            }
            if (tiny && um && !(x87 && fmt == F80)) {
                // Unmasked and not delivered: SSE rounds with an unbounded exponent for the precision flag; an x87
                // store to memory reports UE alone.
                if (x87) {
                    flags |= UE;
                    return zero(neg, fmt);
                }
                undelivered = true;
            } else if (tiny && um && exp + BIAS_ADJUST < emin) {
                // Too small even for the bias adjustment: zero (as this host's FSCALE shows).
                flags |= UE | PE;
                up = false;
                return zero(neg, fmt);
            } else if (tiny && um) {
                exp += BIAS_ADJUST;
                adjusted = true;
            } else {
                jam(hi, lo, emin - exp);
                hi = jamHi;
                lo = jamLo;
                exp = emin;
            }
        }
        int sh = 64 - p;
        long kept;
        boolean rbit;
        boolean sticky;
        boolean lsb;
        if (sh == 0) {
            kept = hi;
            lsb = (hi & 1) != 0;
            rbit = lo < 0;
            sticky = (lo << 1) != 0;
        } else {
            long rest = hi & ((1L << sh) - 1);
            kept = hi & -(1L << sh);
            lsb = (hi >>> sh & 1) != 0;
            rbit = (rest >>> (sh - 1) & 1) != 0;
            sticky = (rest & ((1L << (sh - 1)) - 1)) != 0 || lo != 0;
        }
        boolean inexact = rbit || sticky;
        boolean inc;
        switch (rc) {
            case RN: inc = rbit && (sticky || lsb); break;
            case RD: inc = neg && inexact; break;
            case RU: inc = !neg && inexact; break;
            default: inc = false; break;
        }
        if (inc) {
            kept += 1L << sh;
            if (kept == 0) {
                kept = Long.MIN_VALUE;
                exp++;
            }
        }
        up = inc;
        if (inexact) {
            flags |= PE;
        }
        if (tiny && (inexact || (unmasked & UE) != 0)) {
            flags |= UE;
        }
        if (exp > EMAX[fmt] && !adjusted && !undelivered) {
            return overflow(neg, exp, kept, inexact, fmt, p);
        }
        return packFinite(neg, exp, kept, fmt);
    }

    /** The result of {@link #jam}. */
    long jamHi;
    long jamLo;

    /** Shifts {@code hi:lo} right by {@code sh} bits into {@link #jamHi}:{@link #jamLo}, ORing lost bits into bit 0. */
    void jam(long hi, long lo, int sh) {
        if (sh <= 0) {
            jamHi = hi;
            jamLo = lo;
        } else if (sh >= 128) {
            jamHi = 0;
            jamLo = (hi | lo) != 0 ? 1 : 0;
        } else if (sh >= 64) {
            long lost = (sh == 64 ? 0 : hi << (128 - sh)) | lo;
            jamLo = (sh == 64 ? hi : hi >>> (sh - 64)) | (lost != 0 ? 1 : 0);
            jamHi = 0;
        } else {
            jamLo = hi << (64 - sh) | lo >>> sh | ((lo << (64 - sh)) != 0 ? 1 : 0);
            jamHi = hi >>> sh;
        }
    }

    /** Whether rounding the normalised {@code hi:lo} to {@code p} bits carries out of bit 63. */
    private boolean carries(boolean neg, long hi, long lo, int p) {
        int sh = 64 - p;
        if (sh != 0 && (hi | ((1L << sh) - 1)) != -1L) {
            return false;
        }
        if (sh == 0 && hi != -1L) {
            return false;
        }
        boolean rbit = sh == 0 ? lo < 0 : (hi >>> (sh - 1) & 1) != 0;
        boolean sticky = sh == 0 ? (lo << 1) != 0 : (hi & ((1L << (sh - 1)) - 1)) != 0 || lo != 0;
        switch (rc) {
            case RN: return rbit;
            case RD: return neg && (rbit || sticky);
            case RU: return !neg && (rbit || sticky);
            default: return false;
        }
    }

    private long overflow(boolean neg, int exp, long kept, boolean inexact, int fmt, int p) {
        flags |= OE;
        if (x87 && fmt == F80 && (unmasked & OE) != 0 && exp - BIAS_ADJUST <= EMAX[fmt]) {
            return packFinite(neg, exp - BIAS_ADJUST, kept, fmt);
        }
        if ((unmasked & OE) != 0 && !(x87 && fmt == F80)) {
            // Unmasked and not delivered: SSE adds PE when the rounding was inexact, an x87 store does not.
            if (x87) {
                flags &= ~PE;
            }
            return packFinite(neg, exp, kept, fmt);
        }
        flags |= PE;
        if ((unmasked & OE) != 0) {
            // An x87 result too large even for the bias adjustment: infinity whatever the rounding direction.
            up = true;
            return inf(neg, fmt);
        }
        boolean toInf = rc == RN || (rc == RU && !neg) || (rc == RD && neg);
        up = toInf;
        return toInf ? inf(neg, fmt) : maxFinite(neg, fmt, p);
    }

    /** Packs a rounded significand (bit 63 clear: a denormal at the smallest exponent). */
    private long packFinite(boolean neg, int exp, long kept, int fmt) {
        boolean normal = kept < 0;
        switch (fmt) {
            case F32: {
                long e = normal ? exp + 127L : 0;
                return (neg ? 0x80000000L : 0) | e << 23 | (kept >>> 40 & 0x7fffffL);
            }
            case F64: {
                long e = normal ? exp + 1023L : 0;
                return (neg ? Long.MIN_VALUE : 0) | e << 52 | (kept >>> 11 & 0xfffffffffffffL);
            }
            default:
                outSe = (neg ? 0x8000 : 0) | (normal ? exp + 16383 : 0);
                return kept;
        }
    }
}
