package org.jkvm.softcpu.oracle;

import java.util.SplittableRandom;

/** Operand values for the generator: random ones mixed with the edge values where x86 arithmetic changes. */
final class Values {
    private Values() {
    }

    /** The all-ones mask of {@code bits} (8, 16, 32 or 64). */
    static long mask(int bits) {
        return bits == 64 ? -1L : (1L << bits) - 1;
    }

    /** {@code v} truncated to {@code bits} and sign-extended to 64 bits. */
    static long signExtend(long v, int bits) {
        return bits == 64 ? v : v << (64 - bits) >> (64 - bits);
    }

    /**
     * A value of {@code bits} bits (zero-extended): about half random with varied bit density, half edge values
     * (0, 1, -1, the signed limits and their neighbours, powers of two and their neighbours, alternating bits,
     * small numbers).
     */
    static long of(SplittableRandom r, int bits) {
        long v;
        switch (r.nextInt(12)) {
            case 0, 1, 2, 3 -> v = r.nextLong();
            case 4 -> v = r.nextLong() & r.nextLong() & r.nextLong();
            case 5 -> v = r.nextLong() | r.nextLong() | r.nextLong();
            case 6 -> v = r.nextInt(17) - (r.nextBoolean() ? 0 : 8);
            case 7 -> v = (1L << r.nextInt(bits)) + r.nextInt(3) - 1;
            case 8 -> v = -(1L << r.nextInt(bits)) + r.nextInt(3) - 1;
            default -> v = edge(r, bits);
        }
        return v & mask(bits);
    }

    /** One of the fixed edge values of an operand of {@code bits} bits. */
    static long edge(SplittableRandom r, int bits) {
        long min = 1L << (bits - 1);
        long max = min - 1;
        long[] edges = {0, 1, 2, -1, -2, min, max, min + 1, max - 1, 0x5555555555555555L, 0xAAAAAAAAAAAAAAAAL,
            0x0F0F0F0F0F0F0F0FL, 0x8080808080808080L, 0x7F7F7F7F7F7F7F7FL, mask(bits / 2),
            ~mask(bits / 2) & mask(bits)};
        return edges[r.nextInt(edges.length)] & mask(bits);
    }

    /**
     * A shift or rotate count: 0, 1, size-1, size, size+1, 31, 32, 33, 63, 64, 255 and random bytes, so that both
     * masked and unmasked counts of every operand size appear.
     */
    static int count(SplittableRandom r, int bits) {
        int[] counts = {0, 1, 1, 2, bits - 1, bits, bits + 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128,
            255, 0xE1, 0xC0};
        return r.nextInt(3) == 0 ? r.nextInt(256) : counts[r.nextInt(counts.length)] & 0xFF;
    }

    /** A random 64-bit register value for registers the case does not care about (or the upper bits of one). */
    static long filler(SplittableRandom r) {
        return r.nextInt(4) == 0 ? edge(r, 64) : r.nextLong();
    }
}
