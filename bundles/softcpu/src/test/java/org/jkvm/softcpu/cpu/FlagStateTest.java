package org.jkvm.softcpu.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

import org.junit.jupiter.api.Test;

/** The lazy flags against an eager, bit-by-bit computation of the SDM's definitions. */
class FlagStateTest {
    private static long eager(int kind, int s, long a, long b, boolean cin) {
        int bits = 8 << s;
        long m = FlagState.mask(s);
        long res;
        boolean cf;
        boolean of;
        long sign = 1L << (bits - 1);
        switch (kind) {
            case FlagState.ADD: case FlagState.ADC: {
                long ci = kind == FlagState.ADC ? 1 : 0;
                res = (a + b + ci) & m;
                java.math.BigInteger sum = java.math.BigInteger.valueOf(a).and(big(m))
                        .add(java.math.BigInteger.valueOf(b).and(big(m))).add(java.math.BigInteger.valueOf(ci));
                cf = sum.testBit(bits);
                of = ((a & sign) == (b & sign)) && ((res & sign) != (a & sign));
                break;
            }
            default: {
                long bi = kind == FlagState.SBB ? 1 : 0;
                res = (a - b - bi) & m;
                cf = java.math.BigInteger.valueOf(a).and(big(m)).compareTo(
                        java.math.BigInteger.valueOf(b).and(big(m)).add(java.math.BigInteger.valueOf(bi))) < 0;
                of = ((a & sign) != (b & sign)) && ((res & sign) != (a & sign));
            }
        }
        long af = ((a ^ b ^ res) & 0x10) != 0 ? FlagState.AF : 0;
        return FlagState.szp(res, s) | (cf ? FlagState.CF : 0) | (of ? FlagState.OF : 0) | af;
    }

    private static java.math.BigInteger big(long m) {
        return m == -1L ? java.math.BigInteger.ONE.shiftLeft(64).subtract(java.math.BigInteger.ONE)
                : java.math.BigInteger.valueOf(m);
    }

    @Test
    void addSubAdcSbbMatchTheDefinitionsAtEverySize() {
        Random rnd = new Random(7);
        FlagState f = new FlagState();
        long[] edge = {0, 1, -1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffffL, 0x80000000L, 0xffffffffL,
            Long.MAX_VALUE, Long.MIN_VALUE};
        for (int i = 0; i < 20000; i++) {
            int s = i & 3;
            long m = FlagState.mask(s);
            long a = (i % 5 == 0 ? edge[rnd.nextInt(edge.length)] : rnd.nextLong()) & m;
            long b = (i % 7 == 0 ? edge[rnd.nextInt(edge.length)] : rnd.nextLong()) & m;
            int kind = new int[] {FlagState.ADD, FlagState.ADC, FlagState.SUB, FlagState.SBB}[rnd.nextInt(4)];
            long res = kind == FlagState.ADD ? a + b : kind == FlagState.ADC ? a + b + 1 : kind == FlagState.SUB
                    ? a - b : a - b - 1;
            f.cc(kind, s, a, b, res & m);
            assertEquals(eager(kind, s, a, b, false), f.arith(), () -> "kind " + kind + " size " + s + " a 0x"
                    + Long.toHexString(a) + " b 0x" + Long.toHexString(b));
        }
    }

    @Test
    void conditionsFollowTheFlags() {
        FlagState f = new FlagState();
        f.cc(FlagState.SUB, 2, 1, 2, 0xffffffffL);   // 1 - 2: below, less, not zero, sign
        assertEquals(true, f.cond(2));    // B
        assertEquals(true, f.cond(12));   // L
        assertEquals(false, f.cond(4));   // E
        assertEquals(true, f.cond(6));    // BE
        assertEquals(true, f.cond(8));    // S
        assertEquals(false, f.cond(15));  // G
        f.cc(FlagState.SUB, 0, 0x80, 1, 0x7f);       // -128 - 1 overflows
        assertEquals(true, f.cond(0));    // O
        assertEquals(true, f.cond(12), "L = SF != OF: -128 < 1 although the result looks positive");
        f.setArith(FlagState.ZF | FlagState.CF);
        assertEquals(true, f.cond(4));
        assertEquals(false, f.cond(7));   // A
    }

    @Test
    void incAndDecKeepTheCarry() {
        FlagState f = new FlagState();
        f.cc(FlagState.INC, 0, 0x7f, 1, 0x80);
        assertEquals(FlagState.OF | FlagState.SF | FlagState.AF | FlagState.CF, f.arith() & ~FlagState.PF);
        f.cc(FlagState.DEC, 1, 0x8000, 0, 0x7fff);
        assertEquals(FlagState.OF | FlagState.AF | FlagState.PF, f.arith());
    }
}
