package org.jkvm.softcpu.ops;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.FlagState;
import org.jkvm.softcpu.decode.Dec;

/**
 * Bit instructions: BT/BTS/BTR/BTC (register offsets address memory beyond the operand), BSF, BSR, TZCNT,
 * LZCNT, POPCNT. Undefined flags (documented choice): BT* change only CF; BSF/BSR change only ZF.
 */
public final class Bits {
    public static final int BT = 0;
    public static final int BTS = 1;
    public static final int BTR = 2;
    public static final int BTC = 3;

    private Bits() {
    }

    /** BT* E, G or BT* E, imm. */
    public static final class Bt extends EOp {
        private final int kind;
        private final boolean hasImm;
        private final long imm;

        public Bt(Dec d, int s, int kind, boolean hasImm, long imm) {
            super(d, s);
            this.kind = kind;
            this.hasImm = hasImm;
            this.imm = imm;
        }

        @Override
        public void exec(Cpu c) {
            int bits = 8 << s;
            long off = hasImm ? imm : g(c);
            if (!hasImm) {
                int sh = 64 - bits;
                off = (off << sh) >> sh;
            }
            int bit = (int) (off & (bits - 1));
            long v;
            long l = 0;
            if (isReg) {
                v = c.reg(rmReg, s, rmSh);
            } else {
                long e = ea(c);
                if (!hasImm) {
                    e = (e + ((off >> (3 + s)) << s)) & amask;
                }
                l = c.addr(seg, e, 1 << s, kind != BT);
                v = kind == BT ? c.read(l, s) : c.readRmw(l, s);
            }
            boolean cf = ((v >>> bit) & 1) != 0;
            long nv;
            switch (kind) {
                case BTS: nv = v | (1L << bit); break;
                case BTR: nv = v & ~(1L << bit); break;
                case BTC: nv = v ^ (1L << bit); break;
                default: nv = v; break;
            }
            if (kind != BT) {
                if (isReg) {
                    c.setReg(rmReg, s, rmSh, nv);
                } else {
                    c.write(l, s, nv);
                }
            }
            c.setCf(cf);
        }
    }

    /** BSF, BSR, TZCNT, LZCNT, POPCNT G, E. */
    public static final class Scan extends EOp {
        public static final int BSF = 0;
        public static final int BSR = 1;
        public static final int TZCNT = 2;
        public static final int LZCNT = 3;
        public static final int POPCNT = 4;
        private final int kind;

        public Scan(Dec d, int s, int kind) {
            super(d, s);
            this.kind = kind;
        }

        @Override
        public void exec(Cpu c) {
            long v = readE(c);
            int bits = 8 << s;
            long fl = c.arith();
            switch (kind) {
                case BSF: case BSR:
                    if (v == 0) {
                        c.setArith(fl | FlagState.ZF);   // AMD: the destination is left unchanged
                        return;
                    }
                    setG(c, kind == BSF ? Long.numberOfTrailingZeros(v) : 63 - Long.numberOfLeadingZeros(v));
                    c.setArith(fl & ~FlagState.ZF);
                    return;
                case TZCNT: case LZCNT: {
                    long n = v == 0 ? bits : kind == TZCNT ? Long.numberOfTrailingZeros(v)
                            : Long.numberOfLeadingZeros(v) - (64 - bits);
                    setG(c, n);
                    c.setArith((fl & ~(FlagState.CF | FlagState.ZF)) | (v == 0 ? FlagState.CF : 0)
                            | (n == 0 ? FlagState.ZF : 0));
                    return;
                }
                default: {
                    setG(c, Long.bitCount(v));
                    c.setArith(v == 0 ? FlagState.ZF : 0);
                }
            }
        }
    }
}
