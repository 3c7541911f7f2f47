package org.jkvm.softcpu.ops;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.FlagState;
import org.jkvm.softcpu.decode.Dec;

/** INC, DEC, NOT, NEG on an E operand. */
public final class Unary extends EOp {
    public static final int INC = 0;
    public static final int DEC = 1;
    public static final int NOT = 2;
    public static final int NEG = 3;

    private final int kind;

    public Unary(Dec d, int s, int kind) {
        super(d, s);
        this.kind = kind;
    }

    /** INC, DEC, NOT or NEG (for the translator). */
    public int kind() {
        return kind;
    }

    @Override
    public boolean faultFree() {
        return isReg;
    }

    @Override
    public void exec(Cpu c) {
        long a = loadRmw(c);
        long m = Cpu.MASK[s];
        long res;
        switch (kind) {
            case INC:
                res = (a + 1) & m;
                storeRmw(c, res);
                c.cc(FlagState.INC, s, a, c.cf() ? 1 : 0, res);
                break;
            case DEC:
                res = (a - 1) & m;
                storeRmw(c, res);
                c.cc(FlagState.DEC, s, a, c.cf() ? 1 : 0, res);
                break;
            case NOT:
                storeRmw(c, ~a & m);
                break;
            default:
                res = -a & m;
                storeRmw(c, res);
                c.cc(FlagState.SUB, s, 0, a, res);
                break;
        }
    }

    /** INC/DEC of a full register (legacy 40-4F, or FF /0 /1 on a register). */
    public static final class IncDecReg extends Op {
        private final int reg;
        private final int s;
        private final long delta;

        public IncDecReg(Dec d, int reg, int s, boolean inc) {
            super(d);
            this.reg = reg;
            this.s = s;
            this.delta = inc ? 1 : -1;
        }

        /** The register. */
        public int reg() {
            return reg;
        }

        /** The operand size index. */
        public int size() {
            return s;
        }

        /** Whether it is INC (else DEC). */
        public boolean inc() {
            return delta > 0;
        }

        @Override
        public boolean faultFree() {
            return true;
        }

        @Override
        public void exec(Cpu c) {
            long m = Cpu.MASK[s];
            long a = c.r[reg] & m;
            long res = (a + delta) & m;
            c.setReg(reg, s, 0, res);
            c.cc(delta > 0 ? FlagState.INC : FlagState.DEC, s, a, c.cf() ? 1 : 0, res);
        }
    }
}
