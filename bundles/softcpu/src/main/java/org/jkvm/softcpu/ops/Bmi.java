package org.jkvm.softcpu.ops;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.FlagState;
import org.jkvm.softcpu.decode.Dec;

/**
 * The VEX-encoded BMI1/BMI2 instructions (Intel SDM vol. 2): ANDN, BEXTR, BLSI, BLSMSK, BLSR, BZHI, PDEP, PEXT,
 * MULX, RORX, SARX, SHLX, SHRX. G is ModRM.reg, E ModRM.rm, V the VEX.vvvv register; 32 or 64 bits (VEX.W).
 * Undefined flags (documented choice): AF and PF cleared.
 */
public final class Bmi extends EOp {
    public static final int ANDN = 0;
    public static final int BEXTR = 1;
    public static final int BLSR = 2;
    public static final int BLSMSK = 3;
    public static final int BLSI = 4;
    public static final int BZHI = 5;
    public static final int PDEP = 6;
    public static final int PEXT = 7;
    public static final int MULX = 8;
    public static final int RORX = 9;
    public static final int SARX = 10;
    public static final int SHLX = 11;
    public static final int SHRX = 12;

    private final int kind;
    private final int vreg;
    private final int imm;

    public Bmi(Dec d, int s, int kind, int vreg, int imm) {
        super(d, s);
        this.kind = kind;
        this.vreg = vreg;
        this.imm = imm;
    }

    @Override
    public void exec(Cpu c) {
        long m = Cpu.MASK[s];
        int bits = 8 << s;
        long e = readE(c);
        long v = c.r[vreg] & m;
        switch (kind) {
            case ANDN: logic(c, ~v & e & m, false); setG(c, ~v & e & m); return;
            case BEXTR: {
                int start = (int) (v & 0xff);
                int len = (int) ((v >>> 8) & 0xff);
                long r = start >= bits ? 0 : e >>> start;
                if (len < 64) {
                    r &= (1L << len) - 1;
                }
                r &= m;
                setG(c, r);
                c.setArith(r == 0 ? FlagState.ZF : 0);
                return;
            }
            case BLSR: blsx(c, e & (e - 1) & m, e == 0); return;
            case BLSMSK: blsx(c, (e ^ (e - 1)) & m, e == 0); return;
            case BLSI: blsx(c, e & -e & m, e != 0); return;
            case BZHI: {
                int n = (int) (v & 0xff);
                long r = n >= bits ? e : e & ((1L << n) - 1);
                setG(c, r);
                c.setArith(sz(r) | (n > bits - 1 ? FlagState.CF : 0));
                return;
            }
            case PDEP: setG(c, pdep(e, v) & m); return;   // source V, mask E
            case PEXT: setG(c, pext(e, v) & m); return;
            case MULX: {
                long a = c.r[2] & m;
                long lo;
                long hi;
                if (s == 3) {
                    lo = a * e;
                    hi = Math.multiplyHigh(a, e) + ((a >> 63) & e) + ((e >> 63) & a);
                } else {
                    long p = a * e;
                    lo = p & m;
                    hi = p >>> 32;
                }
                c.setReg(vreg, s, 0, lo);
                setG(c, hi);
                return;
            }
            case RORX: {
                int k = imm & (bits - 1);
                setG(c, k == 0 ? e : ((e >>> k) | (e << (bits - k))) & m);
                return;
            }
            case SARX: {
                long se = (e << (64 - bits)) >> (64 - bits);
                setG(c, (se >> (v & (bits - 1))) & m);
                return;
            }
            case SHLX: setG(c, (e << (v & (bits - 1))) & m); return;
            default: setG(c, e >>> (v & (bits - 1)));
        }
    }

    private long sz(long r) {
        return (r == 0 ? FlagState.ZF : 0) | ((r >>> ((8 << s) - 1)) & 1) << 7;
    }

    private void logic(Cpu c, long r, boolean cf) {
        c.setArith(sz(r) | (cf ? FlagState.CF : 0));
    }

    /** BLSR/BLSMSK/BLSI: the result goes to V. */
    private void blsx(Cpu c, long r, boolean cf) {
        c.setReg(vreg, s, 0, r);
        logic(c, r, cf);
    }

    static long pdep(long mask, long src) {
        long r = 0;
        for (long bb = 1; mask != 0; bb <<= 1) {
            long low = mask & -mask;
            if ((src & bb) != 0) {
                r |= low;
            }
            mask &= mask - 1;
        }
        return r;
    }

    static long pext(long mask, long src) {
        long r = 0;
        for (long bb = 1; mask != 0; bb <<= 1) {
            long low = mask & -mask;
            if ((src & low) != 0) {
                r |= bb;
            }
            mask &= mask - 1;
        }
        return r;
    }
}
