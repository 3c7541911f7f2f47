package org.jkvm.softcpu.fpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * The soft-float core against independent references: Java's own float and double arithmetic (IEEE 754 round to
 * nearest) for the results, exact decimal arithmetic for the inexact flag and the directed roundings, and known
 * 80-bit encodings.
 */
class FpMathTest {
    private final Fp f = new Fp();
    private final SplittableRandom rnd = new SplittableRandom(7);

    /** Random doubles: all exponents, denormals, zeros, infinities, NaNs, and small integers. */
    private double randomDouble() {
        switch (rnd.nextInt(10)) {
            case 0: return Double.longBitsToDouble(rnd.nextLong() & 0x800fffffffffffffL);
            case 1: return rnd.nextInt(-20, 20);
            case 2: return rnd.nextBoolean() ? Double.POSITIVE_INFINITY : -0.0;
            case 3: return Double.longBitsToDouble(rnd.nextLong() | 0x7ff0000000000000L);
            case 4: return (rnd.nextDouble() - 0.5) * Math.pow(2, rnd.nextInt(-1074, 1024));
            default: return Double.longBitsToDouble(rnd.nextLong());
        }
    }

    private long op64(int op, long a, long b) {
        f.sse(0x1f80);
        f.unpack64(a, f.a);
        f.unpack64(b, f.b);
        switch (op) {
            case 0: return FpMath.add(f, f.a, f.b, false, Fp.F64, 53);
            case 1: return FpMath.add(f, f.a, f.b, true, Fp.F64, 53);
            case 2: return FpMath.mul(f, f.a, f.b, Fp.F64, 53);
            case 3: return FpMath.div(f, f.a, f.b, Fp.F64, 53);
            default: return FpMath.sqrt(f, f.a, Fp.F64, 53);
        }
    }

    private static double java(int op, double a, double b) {
        switch (op) {
            case 0: return a + b;
            case 1: return a - b;
            case 2: return a * b;
            case 3: return a / b;
            default: return Math.sqrt(a);
        }
    }

    @Test
    void doubleOperationsMatchJavaBitForBitWithTheInexactFlag() {
        for (int i = 0; i < 60_000; i++) {
            double a = randomDouble();
            double b = randomDouble();
            int op = rnd.nextInt(5);
            long got = op64(op, Double.doubleToRawLongBits(a), Double.doubleToRawLongBits(b));
            double want = java(op, a, b);
            if (Double.isNaN(want)) {
                assertEquals(true, Double.isNaN(Double.longBitsToDouble(got)), op + " " + a + " " + b);
                continue;
            }
            assertEquals(Double.doubleToRawLongBits(want), got, "op " + op + " of " + a + " and " + b);
            if (op < 4 && !Double.isInfinite(want) && !Double.isInfinite(a) && !Double.isInfinite(b)
                    && !(op == 3 && b == 0)) {
                boolean exact = exact(op, a, b, want);
                assertEquals(!exact, (f.flags & Fp.PE) != 0, "PE of op " + op + " " + a + " " + b + " = " + want);
            }
        }
    }

    private static boolean exact(int op, double a, double b, double r) {
        BigDecimal x = new BigDecimal(a);
        BigDecimal y = new BigDecimal(b);
        BigDecimal z = new BigDecimal(r);
        switch (op) {
            case 0: return x.add(y).compareTo(z) == 0;
            case 1: return x.subtract(y).compareTo(z) == 0;
            case 2: return x.multiply(y).compareTo(z) == 0;
            default: return z.multiply(y).compareTo(x) == 0;
        }
    }

    @Test
    void floatOperationsMatchJava() {
        for (int i = 0; i < 50_000; i++) {
            float a = (float) randomDouble();
            float b = rnd.nextInt(4) == 0 ? Float.intBitsToFloat(rnd.nextInt()) : (float) randomDouble();
            int op = rnd.nextInt(4);
            f.sse(0x1f80);
            f.unpack32(Float.floatToRawIntBits(a), f.a);
            f.unpack32(Float.floatToRawIntBits(b), f.b);
            long got = switch (op) {
                case 0 -> FpMath.add(f, f.a, f.b, false, Fp.F32, 24);
                case 1 -> FpMath.mul(f, f.a, f.b, Fp.F32, 24);
                case 2 -> FpMath.div(f, f.a, f.b, Fp.F32, 24);
                default -> FpMath.sqrt(f, f.a, Fp.F32, 24);
            };
            float want = switch (op) {
                case 0 -> a + b;
                case 1 -> a * b;
                case 2 -> a / b;
                default -> (float) Math.sqrt(a);
            };
            if (Float.isNaN(want)) {
                assertEquals(true, Float.isNaN(Float.intBitsToFloat((int) got)));
            } else {
                assertEquals(Float.floatToRawIntBits(want), (int) got, "op " + op + " of " + a + " and " + b);
            }
        }
    }

    @Test
    void directedRoundingsMatchExactArithmetic() {
        for (int i = 0; i < 10_000; i++) {
            double a = (rnd.nextDouble() - 0.5) * Math.pow(2, rnd.nextInt(-1080, 1030));
            double b = (rnd.nextDouble() - 0.5) * Math.pow(2, rnd.nextInt(-1080, 1030));
            int op = rnd.nextInt(4);
            int rc = 1 + rnd.nextInt(3);
            if ((op == 3 && b == 0) || Double.isInfinite(a) || Double.isInfinite(b)) {
                continue;
            }
            f.sse(0x1f80 | rc << 13);
            f.unpack64(Double.doubleToRawLongBits(a), f.a);
            f.unpack64(Double.doubleToRawLongBits(b), f.b);
            long got = switch (op) {
                case 0 -> FpMath.add(f, f.a, f.b, false, Fp.F64, 53);
                case 1 -> FpMath.add(f, f.a, f.b, true, Fp.F64, 53);
                case 2 -> FpMath.mul(f, f.a, f.b, Fp.F64, 53);
                default -> FpMath.div(f, f.a, f.b, Fp.F64, 53);
            };
            BigDecimal x = new BigDecimal(a);
            BigDecimal y = new BigDecimal(b);
            BigDecimal exact = switch (op) {
                case 0 -> x.add(y);
                case 1 -> x.subtract(y);
                case 2 -> x.multiply(y);
                default -> x.divide(y, new MathContext(1200));
            };
            assertEquals(Double.doubleToRawLongBits(directed(exact, rc, Double.longBitsToDouble(got))), got,
                    "rc " + rc + " op " + op + " " + a + " " + b);
        }
    }

    /** The double that rounding {@code exact} in direction {@code rc} gives (overflow aside). */
    private static double directed(BigDecimal exact, int rc, double signOfZero) {
        if (exact.signum() == 0) {
            return signOfZero;
        }
        double d = exact.doubleValue();
        if (Double.isInfinite(d)) {
            boolean toInf = rc == Fp.RU ? d > 0 : rc == Fp.RD && d < 0;
            return toInf ? d : Math.copySign(Double.MAX_VALUE, d);
        }
        int c = new BigDecimal(d).compareTo(exact);
        boolean down = rc == Fp.RD || (rc == Fp.RZ && exact.signum() > 0);
        if (down && c > 0) {
            return Math.nextDown(d);
        }
        if (!down && c < 0) {
            return Math.nextUp(d);
        }
        return d;
    }

    @Test
    void extendedDivisionAndConstantsAreTheKnownEncodings() {
        f.x87(0x37f);
        FpConv.fromInt(f, 1, Fp.F80, 64);
        f.unpack80(0x3fff, Long.MIN_VALUE, f.a);
        f.unpack80(0x4000, 0xc000000000000000L, f.b);
        long third = FpMath.div(f, f.a, f.b, Fp.F80, 64);
        assertEquals(0xaaaaaaaaaaaaaaabL, third);
        assertEquals(0x3ffd, f.outSe);
        assertEquals(Fp.PE, f.flags);
        assertEquals(true, f.up, "1/3 rounds up: C1");
        f.x87(0x37f | 3 << 10);
        assertEquals(0xaaaaaaaaaaaaaaaaL, FpMath.div(f, f.a, f.b, Fp.F80, 64));
        f.x87(0x37f);
        long third24 = FpMath.div(f, f.a, f.b, Fp.F80, 24);
        assertEquals(0xaaaaab0000000000L, third24, "precision control 24 bits");
    }

    @Test
    void integerConversionsRoundAndSaturateToTheIndefinite() {
        f.x87(0x37f);
        f.unpack64(Double.doubleToRawLongBits(2.5), f.a);
        assertEquals(2, FpConv.toInt(f, f.a, 32, false));
        assertEquals(Fp.PE, f.flags);
        f.unpack64(Double.doubleToRawLongBits(-3.5), f.a);
        assertEquals(-4 & 0xffffffffL, FpConv.toInt(f, f.a, 32, false));
        assertEquals(-3 & 0xffffffffL, FpConv.toInt(f, f.a, 32, true));
        f.x87(0x37f);
        f.unpack64(Double.doubleToRawLongBits(3e9), f.a);
        assertEquals(0x80000000L, FpConv.toInt(f, f.a, 32, false));
        assertEquals(Fp.IE, f.flags);
        f.x87(0x37f);
        f.unpack64(Double.doubleToRawLongBits(-32768.4), f.a);
        assertEquals(0x8000L, FpConv.toInt(f, f.a, 16, false));
        assertEquals(Fp.PE, f.flags, "-32768 fits in 16 bits");
    }
}
