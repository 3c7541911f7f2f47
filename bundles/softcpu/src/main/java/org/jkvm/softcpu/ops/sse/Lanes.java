package org.jkvm.softcpu.ops.sse;

/**
 * Packed-integer arithmetic on one 64-bit chunk (the MMX register, or either half of an XMM register): bytes,
 * words, doublewords and quadwords, wrapping or saturating (Intel SDM vol. 2, PADDB ... PSADBW). Common ones use
 * SWAR bit tricks; the rest loop over the lanes. Stateless.
 */
final class Lanes {
    private static final long H8 = 0x8080808080808080L;
    private static final long L7 = 0x7f7f7f7f7f7f7f7fL;
    private static final long H16 = 0x8000800080008000L;
    private static final long H32 = 0x8000000080000000L;

    private Lanes() {
    }

    static long add8(long a, long b) {
        return ((a & ~H8) + (b & ~H8)) ^ ((a ^ b) & H8);
    }

    static long add16(long a, long b) {
        return ((a & ~H16) + (b & ~H16)) ^ ((a ^ b) & H16);
    }

    static long add32(long a, long b) {
        return ((a & ~H32) + (b & ~H32)) ^ ((a ^ b) & H32);
    }

    static long sub8(long a, long b) {
        return ((a | H8) - (b & ~H8)) ^ ((a ^ ~b) & H8);
    }

    static long sub16(long a, long b) {
        return ((a | H16) - (b & ~H16)) ^ ((a ^ ~b) & H16);
    }

    static long sub32(long a, long b) {
        return ((a | H32) - (b & ~H32)) ^ ((a ^ ~b) & H32);
    }

    /** 0xff in each byte where {@code a} and {@code b} are equal. */
    static long eq8(long a, long b) {
        long x = a ^ b;
        long z = ~(((x & L7) + L7) | x | L7);
        return (z >>> 7) * 0xff;
    }

    static long eq16(long a, long b) {
        long r = 0;
        for (int i = 0; i < 64; i += 16) {
            if (((a ^ b) >>> i & 0xffff) == 0) {
                r |= 0xffffL << i;
            }
        }
        return r;
    }

    static long eq32(long a, long b) {
        return ((int) a == (int) b ? 0xffffffffL : 0) | ((a >>> 32) == (b >>> 32) ? 0xffffffff00000000L : 0);
    }

    /** A lane of {@code bits} bits at {@code i}, sign-extended or zero-extended. */
    private static long lane(long v, int i, int bits, boolean signed) {
        long x = v >>> i & ((1L << bits) - 1);
        return signed ? x << (64 - bits) >> (64 - bits) : x;
    }

    /** Saturates {@code v} to a lane of {@code bits} bits, signed or unsigned. */
    static long sat(long v, int bits, boolean signed) {
        long lo = signed ? -(1L << (bits - 1)) : 0;
        long hi = signed ? (1L << (bits - 1)) - 1 : (1L << bits) - 1;
        return (v < lo ? lo : v > hi ? hi : v) & ((1L << bits) - 1);
    }

    /** Lane-wise operation {@code op} (0 add, 1 sub, 2 min, 3 max, 4 greater-than, 5 average) with saturation. */
    static long each(long a, long b, int bits, boolean signed, int op, boolean saturate) {
        long r = 0;
        for (int i = 0; i < 64; i += bits) {
            long x = lane(a, i, bits, signed);
            long y = lane(b, i, bits, signed);
            long v;
            switch (op) {
                case 0: v = x + y; break;
                case 1: v = x - y; break;
                case 2: v = Math.min(x, y); break;
                case 3: v = Math.max(x, y); break;
                case 4: v = x > y ? -1 : 0; break;
                default: v = (x + y + 1) >>> 1; break;
            }
            if (saturate) {
                v = sat(v, bits, signed);
            }
            r |= (v & ((1L << bits) - 1)) << i;
        }
        return r;
    }

    /** PMULLW (0), PMULHW (1), PMULHUW (2). */
    static long mul16(long a, long b, int kind) {
        long r = 0;
        for (int i = 0; i < 64; i += 16) {
            long x = lane(a, i, 16, kind != 2);
            long y = lane(b, i, 16, kind != 2);
            long p = x * y;
            r |= ((kind == 0 ? p : p >> 16) & 0xffff) << i;
        }
        return r;
    }

    /** PMADDWD: each dword = the sum of two signed word products. */
    static long maddwd(long a, long b) {
        long r = 0;
        for (int i = 0; i < 64; i += 32) {
            long p = lane(a, i, 16, true) * lane(b, i, 16, true)
                    + lane(a, i + 16, 16, true) * lane(b, i + 16, 16, true);
            r |= (p & 0xffffffffL) << i;
        }
        return r;
    }

    /** PSADBW: the sum of absolute byte differences in the low word. */
    static long sadbw(long a, long b) {
        long s = 0;
        for (int i = 0; i < 64; i += 8) {
            s += Math.abs((a >>> i & 0xff) - (b >>> i & 0xff));
        }
        return s;
    }

    /** Shift of each {@code bits}-bit lane by {@code count} (0 left, 1 logical right, 2 arithmetic right). */
    static long shift(long a, long count, int bits, int kind) {
        if (Long.compareUnsigned(count, bits - 1) > 0) {
            if (kind != 2) {
                return 0;
            }
            count = bits - 1;
        }
        int n = (int) count;
        if (bits == 64) {
            return kind == 0 ? a << n : kind == 1 ? a >>> n : a >> n;
        }
        long r = 0;
        for (int i = 0; i < 64; i += bits) {
            long x = lane(a, i, bits, kind == 2);
            long v = kind == 0 ? x << n : kind == 1 ? x >>> n : x >> n;
            r |= (v & ((1L << bits) - 1)) << i;
        }
        return r;
    }

    /** Interleaves the low {@code 32} bits of {@code a} and {@code b} in lanes of {@code bits} (a first). */
    static long interleave(long a, long b, int bits) {
        long r = 0;
        int k = 0;
        for (int i = 0; i < 32; i += bits) {
            r |= lane(a, i, bits, false) << k;
            k += bits;
            r |= lane(b, i, bits, false) << k;
            k += bits;
        }
        return r;
    }

    /** Packs the lanes of {@code bits} bits of {@code a} into half-width saturated lanes (the low half of a result). */
    static long pack(long a, int bits, boolean signedResult) {
        long r = 0;
        int half = bits / 2;
        int k = 0;
        for (int i = 0; i < 64; i += bits) {
            r |= sat(lane(a, i, bits, true), half, signedResult) << k;
            k += half;
        }
        return r;
    }
}
