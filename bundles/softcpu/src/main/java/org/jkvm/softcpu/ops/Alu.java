package org.jkvm.softcpu.ops;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.FlagState;
import org.jkvm.softcpu.decode.Dec;

/**
 * The eight binary ALU operations of opcode group 1 plus TEST (kind = the /reg number of group 1; TEST is 8), in
 * three forms: E op= G, G op= E, E op= immediate. Operands and results are masked to the operand size; flags are
 * recorded lazily (see {@link FlagState}).
 */
public final class Alu {
    public static final int ADD = 0;
    public static final int OR = 1;
    public static final int ADC = 2;
    public static final int SBB = 3;
    public static final int AND = 4;
    public static final int SUB = 5;
    public static final int XOR = 6;
    public static final int CMP = 7;
    public static final int TEST = 8;

    private Alu() {
    }

    /** Computes {@code a kind b} at size {@code s}, records the flags and returns the (masked) result. */
    public static long compute(Cpu c, int kind, int s, long a, long b) {
        long m = Cpu.MASK[s];
        b &= m;
        long res;
        switch (kind) {
            case ADD:
                res = (a + b) & m;
                c.cc(FlagState.ADD, s, a, b, res);
                return res;
            case OR:
                res = a | b;
                c.ccLogic(s, res);
                return res;
            case ADC: {
                boolean cf = c.cf();
                res = (a + b + (cf ? 1 : 0)) & m;
                c.cc(cf ? FlagState.ADC : FlagState.ADD, s, a, b, res);
                return res;
            }
            case SBB: {
                boolean cf = c.cf();
                res = (a - b - (cf ? 1 : 0)) & m;
                c.cc(cf ? FlagState.SBB : FlagState.SUB, s, a, b, res);
                return res;
            }
            case AND: case TEST:
                res = a & b;
                c.ccLogic(s, res);
                return res;
            case XOR:
                res = a ^ b;
                c.ccLogic(s, res);
                return res;
            default:
                res = (a - b) & m;
                c.cc(FlagState.SUB, s, a, b, res);
                return res;
        }
    }

    /** Whether {@code kind} writes its result (CMP and TEST do not). */
    public static boolean writes(int kind) {
        return kind != CMP && kind != TEST;
    }

    /** E = E op G. */
    public static final class EG extends EOp {
        private final int kind;

        public EG(Dec d, int s, int kind) {
            super(d, s);
            this.kind = kind;
        }

        @Override
        public boolean faultFree() {
            return isReg;
        }

        @Override
        public void exec(Cpu c) {
            if (writes(kind)) {
                long a = loadRmw(c);
                storeRmw(c, compute(c, kind, s, a, g(c)));
            } else {
                compute(c, kind, s, readE(c), g(c));
            }
        }
    }

    /** G = G op E. */
    public static final class GE extends EOp {
        private final int kind;

        public GE(Dec d, int s, int kind) {
            super(d, s);
            this.kind = kind;
        }

        /** ADD .. CMP (the constants above). */
        public int kind() {
            return kind;
        }

        @Override
        public boolean faultFree() {
            return isReg;
        }

        @Override
        public void exec(Cpu c) {
            long res = compute(c, kind, s, g(c), readE(c));
            if (writes(kind)) {
                setG(c, res);
            }
        }
    }

    /** E = E op immediate. */
    public static final class EI extends EOp {
        private final int kind;
        private final long imm;

        public EI(Dec d, int s, int kind, long imm) {
            super(d, s);
            this.kind = kind;
            this.imm = imm;
        }

        @Override
        public boolean faultFree() {
            return isReg;
        }

        @Override
        public void exec(Cpu c) {
            if (writes(kind)) {
                long a = loadRmw(c);
                storeRmw(c, compute(c, kind, s, a, imm));
            } else {
                compute(c, kind, s, readE(c), imm);
            }
        }
    }

    /** Register op= register, 32/64-bit, the hottest form (no memory, no partial registers). */
    public static final class RR extends EOp {
        private final int kind;

        public RR(Dec d, int s, int kind, boolean regIsDest) {
            super(d, s);
            this.kind = regIsDest ? kind | 16 : kind;
        }

        /** The operation (ADD ... TEST). */
        public int kind() {
            return kind & 15;
        }

        /** Whether G is the destination (else E). */
        public boolean regIsDest() {
            return (kind & 16) != 0;
        }

        @Override
        public boolean faultFree() {
            return true;
        }

        @Override
        public void exec(Cpu c) {
            long[] r = c.r;
            long m = Cpu.MASK[s];
            if ((kind & 16) != 0) {
                long res = compute(c, kind & 15, s, r[gReg] & m, r[rmReg] & m);
                if (writes(kind & 15)) {
                    r[gReg] = res;
                }
            } else {
                long res = compute(c, kind, s, r[rmReg] & m, r[gReg] & m);
                if (writes(kind)) {
                    r[rmReg] = res;
                }
            }
        }
    }

    /** Register op= immediate, 32/64-bit. */
    public static final class RI extends EOp {
        private final int kind;
        private final long imm;

        public RI(Dec d, int s, int kind, long imm) {
            super(d, s);
            this.kind = kind;
            this.imm = imm;
        }

        /** The operation (ADD ... TEST). */
        public int kind() {
            return kind;
        }

        /** The immediate as decoded (sign-extended; {@link #compute} masks it). */
        public long imm() {
            return imm;
        }

        @Override
        public boolean faultFree() {
            return true;
        }

        @Override
        public void exec(Cpu c) {
            long[] r = c.r;
            long res = compute(c, kind, s, r[rmReg] & Cpu.MASK[s], imm);
            if (writes(kind)) {
                r[rmReg] = res;
            }
        }
    }
}
