package org.jkvm.softcpu.fpu;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * The x87's transcendental instructions (F2XM1, FYL2X, FYL2XP1, FPTAN, FPATAN, FSIN, FCOS, FSINCOS), evaluated in
 * decimal arithmetic with about 150 bits and rounded once to the 64-bit significand by the rounding control, so
 * results are correctly rounded except when the exact value lies within about 2^-80 of a rounding boundary.
 * Hardware is only specified to within one unit in the last place (Intel SDM vol. 1, 8.3.10), so the instruction
 * oracle compares these with a tolerance. Arguments of FSIN/FCOS/FSINCOS/FPTAN are reduced modulo the 66-bit pi the
 * hardware uses (Intel SDM vol. 1, 8.3.8; this host's AMD processor agrees), so results far from zero follow the
 * hardware rather than the true function. Slow (microseconds), but rare in practice. Stateless.
 */
public final class Transcend {
    private static final MathContext MC = new MathContext(48, RoundingMode.HALF_EVEN);
    /** Pi to 60 digits. */
    public static final BigDecimal PI = new BigDecimal("3.14159265358979323846264338327950288419716939937510582097494");
    /** ln 2 to 60 digits. */
    static final BigDecimal LN2 = new BigDecimal("0.693147180559945309417232121458176568075500134360255254120680");
    private static final BigDecimal TWO = BigDecimal.valueOf(2);
    private static final BigDecimal TWO64 = new BigDecimal(BigInteger.ONE.shiftLeft(64));
    /** Pi truncated to 66 significant bits (two integer bits, 64 fraction bits): the FPU's reduction constant. */
    static final BigDecimal PI66 = new BigDecimal(PI.multiply(TWO64).toBigInteger()).divide(TWO64);

    private Transcend() {
    }

    /** The exact value of a finite {@code n}. */
    static BigDecimal value(Num n) {
        BigDecimal m = new BigDecimal(new BigInteger(Long.toUnsignedString(n.sig)));
        int e = n.exp - 63;
        BigDecimal v = e >= 0 ? m.multiply(new BigDecimal(BigInteger.TWO.pow(e)))
                : m.multiply(new BigDecimal(BigInteger.valueOf(5).pow(-e), -e));
        return n.neg ? v.negate() : v;
    }

    /** Rounds {@code v} to an 80-bit value (64-bit precision) by the rounding control. */
    public static long roundValue(Fp f, BigDecimal v) {
        return round(f, v);
    }

    static long round(Fp f, BigDecimal v) {
        int sign = v.signum();
        if (sign == 0) {
            return f.zero(false, Fp.F80);
        }
        boolean neg = sign < 0;
        BigDecimal a = v.abs();
        BigInteger u = a.unscaledValue();
        int s = a.scale();
        // a = u * 10^-s; estimate the binary exponent, then take 128 bits of a * 2^(127 - e) exactly.
        int e = u.bitLength() - 1 - (int) Math.floor(s * 3.321928094887362);
        for (int tries = 0; tries < 4; tries++) {
            BigInteger num = u;
            BigInteger den = BigInteger.ONE;
            int sh = 127 - e;
            if (sh >= 0) {
                num = num.shiftLeft(sh);
            } else {
                den = den.shiftLeft(-sh);
            }
            if (s >= 0) {
                den = den.multiply(BigInteger.TEN.pow(s));
            } else {
                num = num.multiply(BigInteger.TEN.pow(-s));
            }
            BigInteger[] qr = num.divideAndRemainder(den);
            int bits = qr[0].bitLength();
            if (bits > 128) {
                e++;
            } else if (bits < 128) {
                e--;
            } else {
                long hi = qr[0].shiftRight(64).longValue();
                long lo = qr[0].longValue() | (qr[1].signum() != 0 ? 1 : 0);
                return f.round(neg, e, hi, lo, Fp.F80, 64);
            }
        }
        throw new IllegalStateException("cannot normalise " + v);
    }

    /** sin and cos of {@code x} (|x| below 2^63), reduced modulo the FPU's pi/2. */
    static BigDecimal[] sinCos(BigDecimal x) {
        BigDecimal halfPi = PI66.divide(TWO);
        BigDecimal k = x.divide(halfPi, 0, RoundingMode.HALF_EVEN);
        BigDecimal r = x.subtract(k.multiply(halfPi, new MathContext(120)), MC);
        int q = k.toBigInteger().and(BigInteger.valueOf(3)).intValue();
        BigDecimal s = sinSeries(r);
        BigDecimal c = cosSeries(r);
        switch (q) {
            case 0: return new BigDecimal[] {s, c};
            case 1: return new BigDecimal[] {c, s.negate()};
            case 2: return new BigDecimal[] {s.negate(), c.negate()};
            default: return new BigDecimal[] {c.negate(), s};
        }
    }

    private static BigDecimal sinSeries(BigDecimal r) {
        BigDecimal r2 = r.multiply(r, MC);
        BigDecimal term = r;
        BigDecimal sum = r;
        for (int k = 1; k < 60; k++) {
            term = term.multiply(r2, MC).divide(BigDecimal.valueOf((2L * k) * (2L * k + 1)), MC).negate();
            sum = sum.add(term, MC);
            if (term.signum() == 0 || term.abs().compareTo(sum.abs().movePointLeft(50)) < 0) {
                break;
            }
        }
        return sum;
    }

    private static BigDecimal cosSeries(BigDecimal r) {
        BigDecimal r2 = r.multiply(r, MC);
        BigDecimal term = BigDecimal.ONE;
        BigDecimal sum = BigDecimal.ONE;
        for (int k = 1; k < 60; k++) {
            term = term.multiply(r2, MC).divide(BigDecimal.valueOf((2L * k - 1) * (2L * k)), MC).negate();
            sum = sum.add(term, MC);
            if (term.signum() == 0 || term.abs().compareTo(sum.abs().movePointLeft(50)) < 0) {
                break;
            }
        }
        if (r.signum() != 0 && sum.compareTo(BigDecimal.ONE) == 0) {
            // cos r of a tiny r is 1 - r^2/2, below the working precision: keep it below 1 so the rounding is
            // inexact (PE) and goes down under round-down/toward-zero.
            return BigDecimal.ONE.subtract(BigDecimal.ONE.movePointLeft(200));
        }
        return sum;
    }

    /** ln(1 + x) for x > -1, accurate also for small x: 2 atanh(x / (2 + x)). */
    static BigDecimal log1p(BigDecimal x) {
        BigDecimal z = x.divide(TWO.add(x), MC);
        if (z.abs().compareTo(new BigDecimal("0.2")) > 0) {
            // Reduce: ln(1 + x) = ln(m) + e ln 2 with 1 + x = m 2^e, m in [0.75, 1.5).
            BigDecimal y = BigDecimal.ONE.add(x);
            int e = 0;
            while (y.compareTo(new BigDecimal("1.5")) >= 0) {
                y = y.divide(TWO, MC);
                e++;
            }
            while (y.compareTo(new BigDecimal("0.75")) < 0) {
                y = y.multiply(TWO);
                e--;
            }
            return log1p(y.subtract(BigDecimal.ONE)).add(LN2.multiply(BigDecimal.valueOf(e)), MC);
        }
        BigDecimal z2 = z.multiply(z, MC);
        BigDecimal term = z;
        BigDecimal sum = z;
        for (int k = 1; k < 200; k++) {
            term = term.multiply(z2, MC);
            BigDecimal t = term.divide(BigDecimal.valueOf(2L * k + 1), MC);
            sum = sum.add(t, MC);
            if (t.signum() == 0 || t.abs().compareTo(sum.abs().movePointLeft(50)) < 0) {
                break;
            }
        }
        return sum.multiply(TWO, MC);
    }

    /** ln(x) for x > 0. */
    static BigDecimal ln(BigDecimal x) {
        return log1p(x.subtract(BigDecimal.ONE, new MathContext(200)));
    }

    /** atan(x), by halving the argument until it is small, then the Taylor series. */
    static BigDecimal atan(BigDecimal x) {
        if (x.abs().compareTo(BigDecimal.ONE) > 0) {
            BigDecimal r = PI.divide(TWO, MC).subtract(atan(BigDecimal.ONE.divide(x.abs(), MC)), MC);
            return x.signum() < 0 ? r.negate() : r;
        }
        int halvings = 0;
        BigDecimal y = x;
        while (y.abs().compareTo(new BigDecimal("0.125")) > 0) {
            y = y.divide(BigDecimal.ONE.add(BigDecimal.ONE.add(y.multiply(y, MC)).sqrt(MC)), MC);
            halvings++;
        }
        BigDecimal y2 = y.multiply(y, MC);
        BigDecimal term = y;
        BigDecimal sum = y;
        for (int k = 1; k < 200; k++) {
            term = term.multiply(y2, MC).negate();
            BigDecimal t = term.divide(BigDecimal.valueOf(2L * k + 1), MC);
            sum = sum.add(t, MC);
            if (t.signum() == 0 || t.abs().compareTo(sum.abs().movePointLeft(50)) < 0) {
                break;
            }
        }
        return sum.multiply(BigDecimal.valueOf(1L << halvings));
    }

    /** 2^x - 1, accurate for small x: the series of e^(x ln 2) - 1. */
    static BigDecimal exp2m1(BigDecimal x) {
        BigDecimal t = x.multiply(LN2, MC);
        BigDecimal term = t;
        BigDecimal sum = t;
        for (int k = 2; k < 200; k++) {
            term = term.multiply(t, MC).divide(BigDecimal.valueOf(k), MC);
            sum = sum.add(term, MC);
            if (term.signum() == 0 || term.abs().compareTo(sum.abs().movePointLeft(50)) < 0) {
                break;
            }
        }
        return sum;
    }

    /** FSIN/FCOS/FPTAN's operand range: |x| < 2^63 (else C2 = 1 and the operand stays). */
    public static boolean inRange(Num x) {
        return x.cls != Num.FINITE || x.exp < 63;
    }

    /** sin (k 0), cos (k 1) or tan (k 2) of a finite nonzero in-range x, rounded. */
    public static long trig(Fp f, Num x, int k) {
        BigDecimal[] sc = sinCos(value(x));
        BigDecimal v = k == 0 ? sc[0] : k == 1 ? sc[1] : sc[0].divide(sc[1], MC);
        return round(f, v);
    }

    /** atan2(y, x) of finite nonzero values, rounded. */
    public static long atan2(Fp f, Num y, Num x) {
        BigDecimal vy = value(y);
        BigDecimal vx = value(x);
        BigDecimal a = atan(vy.divide(vx, MC).abs());
        if (vx.signum() < 0) {
            a = PI.subtract(a, MC);
        }
        return round(f, vy.signum() < 0 ? a.negate() : a);
    }

    /** y * log2(x) (x > 0 finite, y finite nonzero), rounded. */
    public static long ylog2x(Fp f, Num y, Num x) {
        if (x.sig == Long.MIN_VALUE) {
            // x = 2^e: log2 x = e exactly, so the product is exact before the one rounding; y * log2(1) = y * +0.
            if (x.exp == 0) {
                return f.zero(y.neg, Fp.F80);
            }
            return round(f, value(y).multiply(BigDecimal.valueOf(x.exp)));
        }
        if (x.exp == 0 || x.exp == -1) {
            // Near 1: ln of x itself (x - 1 is exact), no cancellation against the exponent.
            return round(f, value(y).multiply(ln(value(x)).divide(LN2, MC), MC));
        }
        // log2 x = e + log2 m with m = sig / 2^63 in [1, 2): the logarithm of the significand only, so a tiny or huge
        // x costs no reduction loop over its exponent.
        BigDecimal m = new BigDecimal(new BigInteger(Long.toUnsignedString(x.sig)))
                .multiply(new BigDecimal(BigInteger.valueOf(5).pow(63), 63));
        BigDecimal l = ln(m).divide(LN2, MC).add(BigDecimal.valueOf(x.exp), MC);
        return round(f, value(y).multiply(l, MC));
    }

    /** y * log2(x + 1) (x finite nonzero above -1, y finite nonzero), rounded. */
    public static long ylog2xp1(Fp f, Num y, Num x) {
        return round(f, value(y).multiply(log1p(value(x)).divide(LN2, MC), MC));
    }

    /** 2^x - 1 of a finite nonzero x, rounded. */
    public static long exp2m1(Fp f, Num x) {
        if (x.exp == 0 && x.sig == Long.MIN_VALUE) {
            // 2^1 - 1 = 1 and 2^-1 - 1 = -1/2 are exact.
            return round(f, x.neg ? new BigDecimal("-0.5") : BigDecimal.ONE);
        }
        return round(f, exp2m1(value(x)));
    }
}
