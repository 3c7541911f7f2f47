package org.jkvm.softcpu.ops;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.FlagState;
import org.jkvm.softcpu.cpu.Vec;
import org.jkvm.softcpu.decode.Dec;

/**
 * MUL, IMUL (one, two and three operands), DIV and IDIV. Division by zero or a quotient that does not fit raises
 * #DE with nothing changed. Undefined flags (documented choice): MUL/IMUL set SF, ZF and PF from the low half of
 * the result and clear AF; DIV/IDIV leave the flags unchanged.
 */
public final class MulDiv extends EOp {
    public static final int MUL = 4;
    public static final int IMUL = 5;
    public static final int DIV = 6;
    public static final int IDIV = 7;

    private final int kind;

    public MulDiv(Dec d, int s, int kind) {
        super(d, s);
        this.kind = kind;
    }

    /** MUL, IMUL, DIV or IDIV (for the translator). */
    public int kind() {
        return kind;
    }

    @Override
    public boolean faultFree() {
        return isReg && (kind == MUL || kind == IMUL);
    }

    @Override
    public void exec(Cpu c) {
        long src = readE(c);
        int bits = 8 << s;
        long m = Cpu.MASK[s];
        if (s == 0) {
            byteForm(c, src);
            return;
        }
        long a = c.r[0] & m;
        switch (kind) {
            case MUL: {
                long lo;
                long hi;
                if (s == 3) {
                    lo = a * src;
                    hi = Math.multiplyHigh(a, src) + ((a >> 63) & src) + ((src >> 63) & a);
                } else {
                    long p = a * src;
                    lo = p & m;
                    hi = (p >>> bits) & m;
                }
                c.setReg(0, s, 0, lo);
                c.setReg(2, s, 0, hi);
                mulFlags(c, lo, hi != 0);
                return;
            }
            case IMUL: {
                int sh = 64 - bits;
                long sa = (a << sh) >> sh;
                long sb = (src << sh) >> sh;
                long lo;
                long hi;
                if (s == 3) {
                    lo = sa * sb;
                    hi = Math.multiplyHigh(sa, sb);
                } else {
                    long p = sa * sb;
                    lo = p & m;
                    hi = (p >> bits) & m;
                }
                boolean ov = hi != ((lo << sh >> sh) >> 63 & m);
                c.setReg(0, s, 0, lo);
                c.setReg(2, s, 0, hi);
                mulFlags(c, lo & m, ov);
                return;
            }
            case DIV:
                divide(c, c.r[2] & m, a, src, false);
                return;
            default:
                divide(c, c.r[2] & m, a, src, true);
        }
    }

    private void mulFlags(Cpu c, long lo, boolean ov) {
        c.setArith(FlagState.szp(lo, s) | (ov ? FlagState.CF | FlagState.OF : 0));
    }

    private void byteForm(Cpu c, long src) {
        long al = c.r[0] & 0xff;
        switch (kind) {
            case MUL: {
                long p = al * src;
                c.setReg(0, 1, 0, p);
                mulFlags(c, p & 0xff, (p >>> 8) != 0);
                return;
            }
            case IMUL: {
                long p = (long) (byte) al * (byte) src;
                c.setReg(0, 1, 0, p);
                mulFlags(c, p & 0xff, p != (byte) p);
                return;
            }
            case DIV: {
                long ax = c.r[0] & 0xffff;
                if (src == 0 || ax / src > 0xff) {
                    throw c.fault(Vec.DE);
                }
                c.setReg(0, 1, 0, (ax / src) | (ax % src) << 8);
                return;
            }
            default: {
                long ax = (short) c.r[0];
                long d = (byte) src;
                if (d == 0) {
                    throw c.fault(Vec.DE);
                }
                long q = ax / d;
                if (q != (byte) q) {
                    throw c.fault(Vec.DE);
                }
                c.setReg(0, 1, 0, (q & 0xff) | ((ax % d) & 0xff) << 8);
            }
        }
    }

    /** Divides hi:lo by {@code d} at size s (16, 32 or 64 bits), writing rAX (quotient) and rDX (remainder). */
    private void divide(Cpu c, long hi, long lo, long d, boolean signed) {
        int bits = 8 << s;
        long m = Cpu.MASK[s];
        if (d == 0) {
            throw c.fault(Vec.DE);
        }
        long q;
        long r;
        if (s < 3) {
            long n = hi << bits | lo;
            if (signed) {
                n = s == 1 ? (int) n : n;
                int sh = 64 - bits;
                long sd = (d << sh) >> sh;
                if (s == 2 && n == Long.MIN_VALUE && sd == -1) {
                    throw c.fault(Vec.DE);
                }
                q = n / sd;
                r = n % sd;
                if (q != ((q << sh) >> sh)) {
                    throw c.fault(Vec.DE);
                }
            } else {
                q = Long.divideUnsigned(n, d);
                r = Long.remainderUnsigned(n, d);
                if ((q & ~m) != 0) {
                    throw c.fault(Vec.DE);
                }
            }
        } else {
            long[] qr = c.divScratch;
            if (signed) {
                boolean negN = hi < 0;
                boolean negD = d < 0;
                long nh = hi;
                long nl = lo;
                if (negN) {
                    nl = -lo;
                    nh = ~hi + (lo == 0 ? 1 : 0);
                }
                long ud = negD ? -d : d;
                if (!div128(nh, nl, ud, qr)) {
                    throw c.fault(Vec.DE);
                }
                long uq = qr[0];
                boolean negQ = negN != negD;
                if (negQ ? Long.compareUnsigned(uq, 1L << 63) > 0 : uq < 0) {
                    throw c.fault(Vec.DE);
                }
                q = negQ ? -uq : uq;
                r = negN ? -qr[1] : qr[1];
            } else {
                if (!div128(hi, lo, d, qr)) {
                    throw c.fault(Vec.DE);
                }
                q = qr[0];
                r = qr[1];
            }
        }
        c.setReg(0, s, 0, q);
        c.setReg(2, s, 0, r);
    }

    /** Unsigned 128/64 division; false when the quotient does not fit in 64 bits. */
    static boolean div128(long hi, long lo, long d, long[] out) {
        if (Long.compareUnsigned(hi, d) >= 0) {
            return false;
        }
        if (hi == 0) {
            out[0] = Long.divideUnsigned(lo, d);
            out[1] = Long.remainderUnsigned(lo, d);
            return true;
        }
        long rem = hi;
        long q = 0;
        for (int i = 63; i >= 0; i--) {
            boolean top = rem < 0;
            rem = rem << 1 | ((lo >>> i) & 1);
            q <<= 1;
            if (top || Long.compareUnsigned(rem, d) >= 0) {
                rem -= d;
                q |= 1;
            }
        }
        out[0] = q;
        out[1] = rem;
        return true;
    }

    /** IMUL G, E (0F AF) and IMUL G, E, imm (69, 6B): truncated product, CF = OF = overflow. */
    public static final class Imul extends EOp {
        private final boolean hasImm;
        private final long imm;

        public Imul(Dec d, int s, boolean hasImm, long imm) {
            super(d, s);
            this.hasImm = hasImm;
            this.imm = imm;
        }

        /** Whether the second factor is the immediate (else G). */
        public boolean hasImm() {
            return hasImm;
        }

        /** The immediate (sign-extended). */
        public long imm() {
            return imm;
        }

        @Override
        public boolean faultFree() {
            return isReg;
        }

        @Override
        public void exec(Cpu c) {
            long b = readE(c);
            long a = hasImm ? imm : g(c);
            int bits = 8 << s;
            int sh = 64 - bits;
            long sa = (a << sh) >> sh;
            long sb = (b << sh) >> sh;
            long p = sa * sb;
            boolean ov = s == 3 ? Math.multiplyHigh(sa, sb) != (p >> 63) : p != ((p << sh) >> sh);
            long res = p & Cpu.MASK[s];
            setG(c, res);
            c.setArith(FlagState.szp(res, s) | (ov ? FlagState.CF | FlagState.OF : 0));
        }
    }
}
