package org.jkvm.softcpu.ops;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.decode.Dec;

/** Data movement: MOV, MOVZX/MOVSX/MOVSXD, LEA, XCHG, CMOVcc, SETcc, BSWAP, CBW/CWD families, MOVBE. */
public final class Mov {
    private Mov() {
    }

    /** MOV E, G (a store when E is memory). */
    public static final class EG extends EOp {
        public EG(Dec d, int s) {
            super(d, s);
        }

        @Override
        public boolean faultFree() {
            return isReg;
        }

        @Override
        public void exec(Cpu c) {
            writeE(c, g(c));
        }
    }

    /** MOV G, E (a load when E is memory). */
    public static final class GE extends EOp {
        public GE(Dec d, int s) {
            super(d, s);
        }

        @Override
        public boolean faultFree() {
            return isReg;
        }

        @Override
        public void exec(Cpu c) {
            setG(c, readE(c));
        }
    }

    /** MOV reg64/32, [mem]: a full-width load, the commonest memory instruction. */
    public static final class Load extends EOp {
        public Load(Dec d, int s) {
            super(d, s);
        }

        @Override
        public void exec(Cpu c) {
            c.r[gReg] = c.read(lin(c, 1 << s, false), s);
        }
    }

    /** MOV [mem], reg64/32. */
    public static final class Store extends EOp {
        public Store(Dec d, int s) {
            super(d, s);
        }

        @Override
        public void exec(Cpu c) {
            c.write(lin(c, 1 << s, true), s, c.r[gReg]);
        }
    }

    /** MOV reg, reg (32/64-bit). */
    public static final class RR extends EOp {
        public RR(Dec d, int s) {
            super(d, s);
        }

        @Override
        public boolean faultFree() {
            return true;
        }

        @Override
        public void exec(Cpu c) {
            c.r[rmReg] = c.r[gReg] & Cpu.MASK[s];
        }
    }

    /** MOV E, immediate. */
    public static final class EI extends EOp {
        private final long imm;

        public EI(Dec d, int s, long imm) {
            super(d, s);
            this.imm = imm;
        }

        @Override
        public boolean faultFree() {
            return isReg;
        }

        @Override
        public void exec(Cpu c) {
            writeE(c, imm);
        }
    }

    /** MOV reg, immediate (B0-BF). */
    public static final class RI extends Op {
        private final int reg;
        private final int sh;
        private final int s;
        private final long imm;

        public RI(Dec d, int reg, int sh, int s, long imm) {
            super(d);
            this.reg = reg;
            this.sh = sh;
            this.s = s;
            this.imm = imm;
        }

        /** The destination register. */
        public int reg() {
            return reg;
        }

        /** Whether it writes a whole 32/64-bit register (no AH..BH, no 8/16-bit merge). */
        public boolean wide() {
            return s >= 2 && sh == 0;
        }

        /** The operand size index. */
        public int size() {
            return s;
        }

        /** The immediate. */
        public long imm() {
            return imm;
        }

        @Override
        public boolean faultFree() {
            return true;
        }

        @Override
        public void exec(Cpu c) {
            c.setReg(reg, s, sh, imm);
        }
    }

    /** MOVZX / MOVSX / MOVSXD: G (size s) = extend(E of size {@code ss}). */
    public static final class Extend extends EOp {
        private final int ss;
        private final boolean signed;
        private final int srcReg;
        private final int srcSh;

        public Extend(Dec d, int s, int ss, boolean signed) {
            super(d, ss);
            this.ss = ss;
            this.signed = signed;
            this.srcReg = d.rmReg(ss);
            this.srcSh = d.rmSh(ss);
            this.dstS = s;
            this.dstReg = d.gReg(s);
        }

        private final int dstS;
        private final int dstReg;

        /** The source's size index. */
        public int srcSize() {
            return ss;
        }

        /** Whether it sign-extends (MOVSX, MOVSXD). */
        public boolean signed() {
            return signed;
        }

        /** The source register (register form). */
        public int srcReg() {
            return srcReg;
        }

        /** The source's bit position in its register (8 for AH..BH). */
        public int srcShift() {
            return srcSh;
        }

        /** The destination's size index. */
        public int dstSize() {
            return dstS;
        }

        /** The destination register. */
        public int dstReg() {
            return dstReg;
        }

        @Override
        public boolean faultFree() {
            return isReg;
        }

        @Override
        public void exec(Cpu c) {
            long v = isReg ? c.reg(srcReg, ss, srcSh) : c.read(lin(c, 1 << ss, false), ss);
            if (signed) {
                int sh = 64 - (8 << ss);
                v = (v << sh) >> sh;
            }
            c.setReg(dstReg, dstS, 0, v);
        }
    }

    /** LEA G, M. */
    public static final class Lea extends EOp {
        public Lea(Dec d, int s) {
            super(d, s);
        }

        @Override
        public boolean faultFree() {
            return true;
        }

        @Override
        public void exec(Cpu c) {
            setG(c, ea(c));
        }
    }

    /** XCHG E, G (memory forms are atomic on hardware; one vCPU thread writes at a time here). */
    public static final class Xchg extends EOp {
        public Xchg(Dec d, int s) {
            super(d, s);
        }

        @Override
        public boolean faultFree() {
            return isReg;
        }

        @Override
        public void exec(Cpu c) {
            long a = loadRmw(c);
            long b = g(c);
            storeRmw(c, b);
            setG(c, a);
        }
    }

    /** CMOVcc G, E: the source is read (and may fault) whatever the condition; a 32-bit G is always written. */
    public static final class Cmov extends EOp {
        private final int cc;

        public Cmov(Dec d, int s, int cc) {
            super(d, s);
            this.cc = cc;
        }

        /** The condition code (0-15). */
        public int cc() {
            return cc;
        }

        @Override
        public boolean faultFree() {
            return isReg;
        }

        @Override
        public void exec(Cpu c) {
            long v = readE(c);
            setG(c, c.cond(cc) ? v : g(c));
        }
    }

    /** SETcc E8. */
    public static final class Setcc extends EOp {
        private final int cc;

        public Setcc(Dec d, int cc) {
            super(d, 0);
            this.cc = cc;
        }

        /** The condition code (0-15). */
        public int cc() {
            return cc;
        }

        @Override
        public boolean faultFree() {
            return isReg;
        }

        @Override
        public void exec(Cpu c) {
            writeE(c, c.cond(cc) ? 1 : 0);
        }
    }

    /** BSWAP reg (a 16-bit BSWAP leaves zero in the low word, as AMD and Intel CPUs do). */
    public static final class Bswap extends Op {
        private final int reg;
        private final int s;

        public Bswap(Dec d, int reg, int s) {
            super(d);
            this.reg = reg;
            this.s = s;
        }

        @Override
        public boolean faultFree() {
            return true;
        }

        @Override
        public void exec(Cpu c) {
            long v = c.r[reg];
            if (s == 3) {
                c.r[reg] = Long.reverseBytes(v);
            } else if (s == 2) {
                c.r[reg] = Integer.reverseBytes((int) v) & 0xffffffffL;
            } else {
                c.r[reg] = v & ~0xffffL;
            }
        }
    }

    /** CBW / CWDE / CDQE: sign-extend the lower half of rAX into rAX. */
    public static final class Cbw extends Op {
        private final int s;

        public Cbw(Dec d, int s) {
            super(d);
            this.s = s;
        }

        @Override
        public boolean faultFree() {
            return true;
        }

        @Override
        public void exec(Cpu c) {
            int half = 8 << (s - 1);
            long v = (c.r[0] << (64 - half)) >> (64 - half);
            c.setReg(0, s, 0, v);
        }
    }

    /** CWD / CDQ / CQO: fill rDX with the sign of rAX. */
    public static final class Cwd extends Op {
        private final int s;

        public Cwd(Dec d, int s) {
            super(d);
            this.s = s;
        }

        @Override
        public boolean faultFree() {
            return true;
        }

        @Override
        public void exec(Cpu c) {
            int bits = 8 << s;
            long sign = ((c.r[0] >>> (bits - 1)) & 1) != 0 ? -1L : 0;
            c.setReg(2, s, 0, sign);
        }
    }

    /** MOVBE G, M or M, G: a byte-swapping load or store. */
    public static final class Movbe extends EOp {
        private final boolean store;

        public Movbe(Dec d, int s, boolean store) {
            super(d, s);
            this.store = store;
        }

        private long swap(long v) {
            return s == 3 ? Long.reverseBytes(v) : s == 2 ? Integer.reverseBytes((int) v) & 0xffffffffL
                    : Short.reverseBytes((short) v) & 0xffffL;
        }

        @Override
        public void exec(Cpu c) {
            if (store) {
                c.write(lin(c, 1 << s, true), s, swap(g(c)));
            } else {
                setG(c, swap(c.read(lin(c, 1 << s, false), s)));
            }
        }
    }
}
