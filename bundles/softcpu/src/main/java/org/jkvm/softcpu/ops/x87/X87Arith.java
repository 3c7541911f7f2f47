package org.jkvm.softcpu.ops.x87;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.FlagState;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.fpu.Fp;
import org.jkvm.softcpu.fpu.FpMath;
import org.jkvm.softcpu.fpu.Fpu;
import org.jkvm.softcpu.fpu.Num;

/** The x87 arithmetic and comparison instructions with every operand form (Intel SDM vol. 2, FADD ... FUCOMI). */
public final class X87Arith {
    /** Operations by the ModRM reg field of D8/DC (0 add, 1 mul, 4 sub, 5 subr, 6 div, 7 divr). */
    public static final int ADD = 0;
    public static final int MUL = 1;
    public static final int SUB = 4;
    public static final int SUBR = 5;
    public static final int DIV = 6;
    public static final int DIVR = 7;

    private X87Arith() {
    }

    /**
     * FADD, FMUL, FSUB, FSUBR, FDIV, FDIVR and their P/I forms: {@code ST(0) <- ST(0) op m} (memory format
     * {@code mf}: 0 m32fp, 1 m32int, 2 m64fp, 3 m16int), {@code ST(0) <- ST(0) op ST(i)}, or
     * {@code ST(i) <- ST(i) op ST(0)} (then popped with {@code pop}). Results are rounded to the precision control.
     */
    public static final class Arith extends X87Op {
        private final int kind;
        private final int mf;
        private final boolean toSti;
        private final boolean pop;

        /**
         * @param kind  the operation, as dest op source ({@link #SUB}: dest - source, {@link #SUBR}: source - dest)
         * @param mf    the memory format, or -1 for a register form
         * @param toSti the destination is ST(i) (DC/DE register forms)
         */
        public Arith(Dec d, int opcode, int kind, int mf, boolean toSti, boolean pop) {
            super(d, opcode);
            this.kind = kind;
            this.mf = mf;
            this.toSti = toSti;
            this.pop = pop;
        }

        @Override
        public void exec(Cpu c) {
            Fpu f = begin(c);
            Fp fp = f.fp.x87(f.fcw);
            int dest = toSti ? sti : 0;
            Num x = fp.a;
            Num y = fp.b;
            if (mf >= 0) {
                readOperand(c, mf, y);
                if (f.empty(0)) {
                    underflow(f, 0);
                    return;
                }
            } else if (f.empty(dest) || f.empty(toSti ? 0 : sti)) {
                if (underflow(f, dest) && pop) {
                    f.pop();
                }
                return;
            } else {
                f.get(toSti ? 0 : sti, y);
            }
            f.get(dest, x);
            long m = compute(fp, kind, x, y, fp.prec);
            if (deliver(f, dest, m) && pop) {
                f.pop();
            }
        }
    }

    /** {@code x op y} at precision {@code p}. */
    static long compute(Fp fp, int kind, Num x, Num y, int p) {
        switch (kind) {
            case ADD: return FpMath.add(fp, x, y, false, Fp.F80, p);
            case MUL: return FpMath.mul(fp, x, y, Fp.F80, p);
            case SUB: return FpMath.add(fp, x, y, true, Fp.F80, p);
            case SUBR: return FpMath.add(fp, y, x, true, Fp.F80, p);
            case DIV: return FpMath.div(fp, x, y, Fp.F80, p);
            default: return FpMath.div(fp, y, x, Fp.F80, p);
        }
    }

    /**
     * FCOM/FCOMP/FCOMPP/FICOM/FICOMP/FUCOM/FUCOMP/FUCOMPP/FTST (condition codes C3 C2 C0) and FCOMI/FCOMIP/
     * FUCOMI/FUCOMIP (ZF PF CF; OF SF AF cleared): ST(0) against ST(i), a memory operand or zero. FCOM forms
     * raise IE for quiet NaNs too, FUCOM forms only for signalling ones.
     */
    public static final class Compare extends X87Op {
        /** Source: ST(i), memory (format {@code mf}), or +0.0 (FTST). */
        public static final int REG = -1;
        public static final int ZERO = -2;
        private final int mf;
        private final boolean signalQuiet;
        private final int pops;
        private final boolean eflags;

        public Compare(Dec d, int opcode, int mf, boolean signalQuiet, int pops, boolean eflags) {
            super(d, opcode);
            this.mf = mf;
            this.signalQuiet = signalQuiet;
            this.pops = pops;
            this.eflags = eflags;
        }

        @Override
        public void exec(Cpu c) {
            Fpu f = begin(c);
            Fp fp = f.fp.x87(f.fcw);
            Num y = fp.b;
            if (mf >= 0) {
                readOperand(c, mf, y);
            } else if (mf == ZERO) {
                y.special(Num.ZERO, false, 0);
            }
            int r;
            if (f.empty(0) || (mf == REG && f.empty(sti))) {
                // Stack underflow: the result is unordered, reported even when IE is unmasked (then no pop).
                if (!underflow(f, -1)) {
                    report(c, f, FpMath.UN);
                    return;
                }
                r = FpMath.UN;
            } else {
                if (mf == REG) {
                    f.get(sti, y);
                }
                r = FpMath.compare(fp, f.get(0, fp.a), y, signalQuiet);
                if ((fp.flags & fp.unmasked) != 0) {
                    // Unmasked: the result is still reported (unordered for an invalid operand), but nothing pops.
                    f.raise(fp.flags);
                    if (!eflags) {
                        f.fsw &= ~Fpu.C1;
                    }
                    report(c, f, r);
                    return;
                }
                f.raise(fp.flags);
                if (!eflags) {
                    // FCOM and friends clear C1; FCOMI and friends leave it (AMD, as the oracle shows).
                    f.fsw &= ~Fpu.C1;
                }
            }
            report(c, f, r);
            for (int i = 0; i < pops; i++) {
                f.pop();
            }
        }

        private void report(Cpu c, Fpu f, int r) {
            if (eflags) {
                long fl = r == FpMath.GT ? 0 : r == FpMath.LT ? FlagState.CF : r == FpMath.EQ ? FlagState.ZF
                        : FlagState.ZF | FlagState.PF | FlagState.CF;
                c.setArith(fl);
            } else {
                int cc = r == FpMath.GT ? 0 : r == FpMath.LT ? Fpu.C0 : r == FpMath.EQ ? Fpu.C3
                        : Fpu.C3 | Fpu.C2 | Fpu.C0;
                f.fsw = f.fsw & ~(Fpu.C0 | Fpu.C2 | Fpu.C3) | cc;
            }
        }
    }
}
