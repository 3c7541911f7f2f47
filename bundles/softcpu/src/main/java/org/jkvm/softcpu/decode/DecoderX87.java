package org.jkvm.softcpu.decode;

import org.jkvm.softcpu.ops.Op;
import org.jkvm.softcpu.ops.x87.X87Arith;
import org.jkvm.softcpu.ops.x87.X87Ctl;
import org.jkvm.softcpu.ops.x87.X87Func;
import org.jkvm.softcpu.ops.x87.X87Move;
import org.jkvm.softcpu.ops.x87.X87Trans;

/**
 * The x87 escape opcodes D8-DF (Intel SDM vol. 2, appendix A.5), including the undocumented aliases every
 * processor since the 387 executes (FSTP1/8/9, FCOM2, FCOMP3/5, FXCH4/7, FFREEP). Reserved encodings are #UD.
 */
final class DecoderX87 {
    private static final int M32FP = 0;
    private static final int M32INT = 1;
    private static final int M64FP = 2;
    private static final int M16INT = 3;

    private final Decoder top;
    private final Dec d;

    DecoderX87(Decoder top) {
        this.top = top;
        this.d = top.d;
    }

    /** Decodes opcode {@code b} (D8-DF) after its ModRM byte was read. */
    Op decode(int b) {
        int reg = d.regField & 7;
        if (d.mod != 3) {
            return memory(b, reg);
        }
        int i = d.modrm & 7;
        switch (b) {
            case 0xd8: return arithReg(b, reg, false, false);
            case 0xd9: return d9(b, reg, i);
            case 0xda: return da(b, reg, i);
            case 0xdb: return db(b, reg, i);
            case 0xdc: return arithReg(b, reg, true, false);
            case 0xdd: return dd(b, reg);
            case 0xde: return de(b, reg, i);
            default: return df(b, reg, i);
        }
    }

    private Op memory(int b, int reg) {
        switch (b) {
            case 0xd8: return arithMem(b, reg, M32FP);
            case 0xda: return arithMem(b, reg, M32INT);
            case 0xdc: return arithMem(b, reg, M64FP);
            case 0xde: return arithMem(b, reg, M16INT);
            case 0xd9:
                switch (reg) {
                    case 0: return new X87Move.Load(d, b, X87Move.M32);
                    case 2: return new X87Move.Store(d, b, X87Move.M32, false);
                    case 3: return new X87Move.Store(d, b, X87Move.M32, true);
                    case 4: return new X87Ctl(d, b, X87Ctl.FLDENV);
                    case 5: return new X87Ctl(d, b, X87Ctl.FLDCW);
                    case 6: return new X87Ctl(d, b, X87Ctl.FNSTENV);
                    case 7: return new X87Ctl(d, b, X87Ctl.FNSTCW);
                    default: return top.undefined();
                }
            case 0xdb:
                switch (reg) {
                    case 0: return new X87Move.Load(d, b, X87Move.I32);
                    case 1: return new X87Move.StoreInt(d, b, X87Move.I32, true, true);
                    case 2: return new X87Move.StoreInt(d, b, X87Move.I32, false, false);
                    case 3: return new X87Move.StoreInt(d, b, X87Move.I32, true, false);
                    case 5: return new X87Move.Load(d, b, X87Move.M80);
                    case 7: return new X87Move.Store(d, b, X87Move.M80, true);
                    default: return top.undefined();
                }
            case 0xdd:
                switch (reg) {
                    case 0: return new X87Move.Load(d, b, X87Move.M64);
                    case 1: return new X87Move.StoreInt(d, b, X87Move.I64, true, true);
                    case 2: return new X87Move.Store(d, b, X87Move.M64, false);
                    case 3: return new X87Move.Store(d, b, X87Move.M64, true);
                    case 4: return new X87Ctl(d, b, X87Ctl.FRSTOR);
                    case 6: return new X87Ctl(d, b, X87Ctl.FNSAVE);
                    case 7: return new X87Ctl(d, b, X87Ctl.FNSTSW);
                    default: return top.undefined();
                }
            default:
                switch (reg) {
                    case 0: return new X87Move.Load(d, b, X87Move.I16);
                    case 1: return new X87Move.StoreInt(d, b, X87Move.I16, true, true);
                    case 2: return new X87Move.StoreInt(d, b, X87Move.I16, false, false);
                    case 3: return new X87Move.StoreInt(d, b, X87Move.I16, true, false);
                    case 4: return new X87Move.Load(d, b, X87Move.BCD);
                    case 5: return new X87Move.Load(d, b, X87Move.I64);
                    case 6: return new X87Move.StoreInt(d, b, X87Move.BCD, true, false);
                    default: return new X87Move.StoreInt(d, b, X87Move.I64, true, false);
                }
        }
    }

    /** D8/DA/DC/DE with a memory operand: the six arithmetic operations, FCOM and FCOMP. */
    private Op arithMem(int b, int reg, int mf) {
        if (reg == 2 || reg == 3) {
            return new X87Arith.Compare(d, b, mf, true, reg - 2, false);
        }
        return new X87Arith.Arith(d, b, reg, mf, false, false);
    }

    /**
     * D8 (ST(0) op ST(i)) and DC/DE (ST(i) op ST(0)): in the DC/DE forms the reg field's SUB/SUBR and DIV/DIVR
     * are swapped relative to D8 (DC E0+i is FSUBR ST(i), ST(0): ST(i) = ST(0) - ST(i)).
     */
    private Op arithReg(int b, int reg, boolean toSti, boolean pop) {
        if (reg == 2 || reg == 3) {
            return new X87Arith.Compare(d, b, X87Arith.Compare.REG, true, reg - 2, false);
        }
        int kind = reg;
        if (toSti && reg >= 4) {
            kind = reg ^ 1;
        }
        return new X87Arith.Arith(d, b, kind, -1, toSti, pop);
    }

    private Op d9(int b, int reg, int i) {
        switch (reg) {
            case 0: return new X87Move.Load(d, b, X87Move.STI);
            case 1: return new X87Func(d, b, X87Func.FXCH);
            case 2: return i == 0 ? new X87Func(d, b, X87Func.FNOP) : top.undefined();
            case 3: return new X87Move.Store(d, b, X87Move.STI, true);
            case 4:
                switch (i) {
                    case 0: return new X87Func(d, b, X87Func.FCHS);
                    case 1: return new X87Func(d, b, X87Func.FABS);
                    case 4: return new X87Arith.Compare(d, b, X87Arith.Compare.ZERO, true, 0, false);
                    case 5: return new X87Func(d, b, X87Func.FXAM);
                    default: return top.undefined();
                }
            case 5: return i == 7 ? top.undefined() : new X87Move.Constant(d, b, i == 6 ? 6 : i);
            case 6:
                switch (i) {
                    case 4: return new X87Func(d, b, X87Func.FXTRACT);
                    case 5: return new X87Func(d, b, X87Func.FPREM1);
                    case 6: return new X87Func(d, b, X87Func.FDECSTP);
                    case 7: return new X87Func(d, b, X87Func.FINCSTP);
                    default: return new X87Trans(d, b, i);
                }
            default:
                switch (i) {
                    case 0: return new X87Func(d, b, X87Func.FPREM);
                    case 1: return new X87Trans(d, b, X87Trans.FYL2XP1);
                    case 2: return new X87Func(d, b, X87Func.FSQRT);
                    case 3: return new X87Trans(d, b, X87Trans.FSINCOS);
                    case 4: return new X87Func(d, b, X87Func.FRNDINT);
                    case 5: return new X87Func(d, b, X87Func.FSCALE);
                    case 6: return new X87Trans(d, b, X87Trans.FSIN);
                    default: return new X87Trans(d, b, X87Trans.FCOS);
                }
        }
    }

    private Op da(int b, int reg, int i) {
        if (reg < 4) {
            return new X87Func(d, b, X87Func.FCMOV + reg);
        }
        if (reg == 5 && i == 1) {
            return new X87Arith.Compare(d, b, X87Arith.Compare.REG, false, 2, false);
        }
        return top.undefined();
    }

    private Op db(int b, int reg, int i) {
        if (reg < 4) {
            return new X87Func(d, b, X87Func.FCMOV + 4 + reg);
        }
        if (reg == 5 || reg == 6) {
            return new X87Arith.Compare(d, b, X87Arith.Compare.REG, reg == 6, 0, true);
        }
        if (reg == 4) {
            switch (i) {
                case 0: case 1: case 4: return new X87Ctl(d, b, X87Ctl.NOP);
                case 2: return new X87Ctl(d, b, X87Ctl.FNCLEX);
                case 3: return new X87Ctl(d, b, X87Ctl.FNINIT);
                default: return top.undefined();
            }
        }
        return top.undefined();
    }

    private Op dd(int b, int reg) {
        switch (reg) {
            case 0: return new X87Func(d, b, X87Func.FFREE);
            case 1: return new X87Func(d, b, X87Func.FXCH);
            case 2: return new X87Move.Store(d, b, X87Move.STI, false);
            case 3: return new X87Move.Store(d, b, X87Move.STI, true);
            case 4: return new X87Arith.Compare(d, b, X87Arith.Compare.REG, false, 0, false);
            case 5: return new X87Arith.Compare(d, b, X87Arith.Compare.REG, false, 1, false);
            default: return top.undefined();
        }
    }

    private Op de(int b, int reg, int i) {
        if (reg == 3) {
            return i == 1 ? new X87Arith.Compare(d, b, X87Arith.Compare.REG, true, 2, false) : top.undefined();
        }
        if (reg == 2) {
            return new X87Arith.Compare(d, b, X87Arith.Compare.REG, true, 1, false);
        }
        return arithReg(b, reg, true, true);
    }

    private Op df(int b, int reg, int i) {
        switch (reg) {
            case 0: return new X87Func(d, b, X87Func.FFREEP);
            case 1: return new X87Func(d, b, X87Func.FXCH);
            case 2: case 3: return new X87Move.Store(d, b, X87Move.STI, true);
            case 4: return i == 0 ? new X87Ctl(d, b, X87Ctl.FNSTSW_AX) : top.undefined();
            case 5: return new X87Arith.Compare(d, b, X87Arith.Compare.REG, false, 1, true);
            case 6: return new X87Arith.Compare(d, b, X87Arith.Compare.REG, true, 1, true);
            default: return top.undefined();
        }
    }
}
