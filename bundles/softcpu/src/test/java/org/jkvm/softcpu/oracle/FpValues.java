package org.jkvm.softcpu.oracle;

import java.util.SplittableRandom;

/**
 * Floating-point operand values for the x87 and SSE generators, as bit patterns: every class (zeros, denormals,
 * normals near 1 and at the ends of the range, infinities, quiet and signalling NaNs; for 80 bits also
 * pseudo-denormals, unnormals, pseudo-infinities and pseudo-NaNs), integers, and values whose low bits sit next to
 * a rounding boundary.
 */
final class FpValues {
    private FpValues() {
    }

    /** A binary32 bit pattern. */
    static int f32(SplittableRandom r) {
        int sign = r.nextBoolean() ? 0x80000000 : 0;
        int frac = fraction(r, 23);
        switch (r.nextInt(16)) {
            case 0: return sign;
            case 1: return sign | 0x7f800000;
            case 2: return sign | 0x7fc00000 | frac & 0x3fffff;
            case 3: return sign | 0x7f800000 | Math.max(1, frac & 0x3fffff);
            case 4: return sign | Math.max(1, frac);
            case 5: return sign | (1 + r.nextInt(3)) << 23 | frac;
            case 6: return sign | (0xfe - r.nextInt(3)) << 23 | frac;
            case 7: return Float.floatToRawIntBits(r.nextInt(-100, 100));
            case 8: return sign | 0x3f800000;
            default: return sign | (127 + r.nextInt(-30, 30)) << 23 | frac;
        }
    }

    /** A binary64 bit pattern. */
    static long f64(SplittableRandom r) {
        long sign = r.nextBoolean() ? Long.MIN_VALUE : 0;
        long frac = fraction64(r, 52);
        switch (r.nextInt(16)) {
            case 0: return sign;
            case 1: return sign | 0x7ff0000000000000L;
            case 2: return sign | 0x7ff8000000000000L | frac & 0x7ffffffffffffL;
            case 3: return sign | 0x7ff0000000000000L | Math.max(1, frac & 0x7ffffffffffffL);
            case 4: return sign | Math.max(1, frac);
            case 5: return sign | (long) (1 + r.nextInt(3)) << 52 | frac;
            case 6: return sign | (long) (0x7fe - r.nextInt(3)) << 52 | frac;
            case 7: return Double.doubleToRawLongBits(r.nextInt(-100000, 100000));
            case 8: return sign | 0x3ff0000000000000L;
            case 9: return Double.doubleToRawLongBits(Float.intBitsToFloat(f32(r)));
            default: return sign | (long) (1023 + r.nextInt(-60, 60)) << 52 | frac;
        }
    }

    /** A random fraction of {@code bits} bits, often with a run of ones or zeros at the bottom (rounding edges). */
    private static int fraction(SplittableRandom r, int bits) {
        return (int) fraction64(r, bits);
    }

    private static long fraction64(SplittableRandom r, int bits) {
        long f = r.nextLong() & ((1L << bits) - 1);
        switch (r.nextInt(4)) {
            case 0: return f | ((1L << r.nextInt(1, bits / 2)) - 1);
            case 1: return f & -(1L << r.nextInt(1, bits / 2));
            default: return f;
        }
    }

    /**
     * An 80-bit value: {@code {signExponent, significand}}.
     *
     * @param tame mostly finite values of moderate size (operands whose results are not all specials)
     */
    static long[] f80(SplittableRandom r, boolean tame) {
        int sign = r.nextBoolean() ? 0x8000 : 0;
        long m = Long.MIN_VALUE | fraction64(r, 63);
        int kind = tame && r.nextInt(4) != 0 ? 15 : r.nextInt(20);
        switch (kind) {
            case 0: return new long[] {sign, 0};
            case 1: return new long[] {sign | 0x7fff, Long.MIN_VALUE};
            case 2: return new long[] {sign | 0x7fff, 0xc000000000000000L | m & 0x3fffffffffffffffL};
            case 3: return new long[] {sign | 0x7fff, Long.MIN_VALUE | Math.max(1, m & 0x3fffffffffffffffL)};
            case 4: return new long[] {sign, Math.max(1, m & Long.MAX_VALUE)};
            case 5: return new long[] {sign | 1 + r.nextInt(3), m};
            case 6: return new long[] {sign | 0x7ffe - r.nextInt(3), m};
            case 7: {
                long v = Double.doubleToRawLongBits(r.nextInt(-1000, 1000));
                return fromDouble(v);
            }
            case 8: return fromDouble(f64(r));
            case 9: return new long[] {sign | 0x3fff, Long.MIN_VALUE};
            case 10:
                // The unsupported encodings: pseudo-denormal, unnormal, pseudo-infinity/NaN.
                switch (r.nextInt(3)) {
                    case 0: return new long[] {sign, m};
                    case 1: return new long[] {sign | 0x3fff + r.nextInt(-5, 5), m & Long.MAX_VALUE};
                    default: return new long[] {sign | 0x7fff, m & Long.MAX_VALUE};
                }
            default: return new long[] {sign | 0x3fff + r.nextInt(-70, 70), m};
        }
    }

    /** The exact 80-bit form of a binary64 bit pattern (NaN payloads kept). */
    static long[] fromDouble(long bits) {
        int sign = bits < 0 ? 0x8000 : 0;
        int e = (int) (bits >>> 52) & 0x7ff;
        long frac = bits & 0xfffffffffffffL;
        if (e == 0x7ff) {
            return new long[] {sign | 0x7fff, Long.MIN_VALUE | frac << 11};
        }
        if (e == 0) {
            if (frac == 0) {
                return new long[] {sign, 0};
            }
            int lz = Long.numberOfLeadingZeros(frac);
            return new long[] {sign | (0x3c01 - (lz - 11)), frac << lz};
        }
        return new long[] {sign | (e - 1023 + 16383), Long.MIN_VALUE | frac << 11};
    }
}
