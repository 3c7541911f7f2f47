package org.jkvm.softcpu.exec;

import org.jkvm.softcpu.cpu.FlagState;
import org.jkvm.softcpu.ops.Alu;
import org.jkvm.softcpu.ops.Shift;

/**
 * The arithmetic of {@link OpEmitter}'s register ops: ALU (ADD/ADC/SUB/SBB/AND/OR/XOR/CMP/TEST), INC/DEC and the
 * shifts SHL/SHR/SAR by an immediate. Each computes on the registers in locals what its op's exec computes and
 * leaves the same lazy-flag record in the flag locals (Alu.compute's for ALU and INC/DEC, {@code setArith}'s kind FL
 * for shifts); OpEmitter decides where the record reaches Cpu. One instance per translated method; not thread-safe.
 */
final class AluEmitter {
    private static final long M32 = 0xffffffffL;

    private final OpEmitter ops;
    private final FlagEmitter flag;
    private final ClassBytes cf;
    private final ClassBytes.Code c;

    AluEmitter(OpEmitter ops, FlagEmitter flag, ClassBytes cf, ClassBytes.Code c) {
        this.ops = ops;
        this.flag = flag;
        this.cf = cf;
        this.c = c;
    }

    /**
     * {@code dst = dst kind src} (src the long local {@code src}: a register's or the loaded value's; or the
     * immediate when {@code src < 0}): Alu.compute's record.
     */
    void alu(int kind, int s, int dst, int src, long imm) {
        boolean carry = kind == Alu.ADC || kind == Alu.SBB;
        if (carry) {
            flag.cf();
            c.local(ClassBytes.ISTORE, OpEmitter.TMP);
        }
        c.local(ClassBytes.LLOAD, OpEmitter.slot(dst));
        ops.mask(s);
        c.local(ClassBytes.LSTORE, OpEmitter.FA);
        if (src >= 0) {
            c.local(ClassBytes.LLOAD, src);
            ops.mask(s);
        } else {
            c.op(ClassBytes.LDC2_W, cf.longConst(s == 3 ? imm : imm & M32));
        }
        c.local(ClassBytes.LSTORE, OpEmitter.FB);
        c.local(ClassBytes.LLOAD, OpEmitter.FA);
        c.local(ClassBytes.LLOAD, OpEmitter.FB);
        int base = operate(kind);
        if (carry) {
            c.local(ClassBytes.ILOAD, OpEmitter.TMP);
            c.op(ClassBytes.I2L);
            c.op(kind == Alu.ADC ? ClassBytes.LADD : ClassBytes.LSUB);
        }
        if (base != FlagState.LOGIC) {
            ops.mask(s);
        }
        c.local(ClassBytes.LSTORE, OpEmitter.FRES);
        if (carry) {
            // The record's kind is ADC/SBB only with a carry in (Alu.compute): ADD + 1 = ADC, SUB + 1 = SBB.
            c.local(ClassBytes.ILOAD, OpEmitter.TMP);
            c.push(2);
            c.op(ClassBytes.ISHL);
            c.push(base << 2 | s);
            c.op(ClassBytes.IADD);
            ops.setDynamicKind();
        } else {
            ops.setKind(base << 2 | s);
        }
        if (Alu.writes(kind)) {
            c.local(ClassBytes.LLOAD, OpEmitter.FRES);
            ops.store(dst);
        }
    }

    /** Emits the operation of {@code kind} on the two longs on the stack; returns the flag record's kind. */
    private int operate(int kind) {
        switch (kind) {
            case Alu.ADD: case Alu.ADC:
                c.op(ClassBytes.LADD);
                return FlagState.ADD;
            case Alu.SUB: case Alu.SBB: case Alu.CMP:
                c.op(ClassBytes.LSUB);
                return FlagState.SUB;
            case Alu.OR:
                c.op(ClassBytes.LOR);
                return FlagState.LOGIC;
            case Alu.XOR:
                c.op(ClassBytes.LXOR);
                return FlagState.LOGIC;
            default:
                c.op(ClassBytes.LAND);
                return FlagState.LOGIC;
        }
    }

    /** INC/DEC of a 32/64-bit register: {@code cc(INC or DEC, s, a, CF, res)}, CF kept (in the record's b). */
    void incDec(int reg, int s, boolean inc) {
        flag.cf();
        c.op(ClassBytes.I2L);
        c.local(ClassBytes.LSTORE, OpEmitter.FB);
        c.local(ClassBytes.LLOAD, OpEmitter.slot(reg));
        ops.mask(s);
        c.op(ClassBytes.DUP2);
        c.local(ClassBytes.LSTORE, OpEmitter.FA);
        c.op(ClassBytes.LCONST_1);
        c.op(inc ? ClassBytes.LADD : ClassBytes.LSUB);
        ops.mask(s);
        c.op(ClassBytes.DUP2);
        c.local(ClassBytes.LSTORE, OpEmitter.FRES);
        ops.store(reg);
        ops.setKind((inc ? FlagState.INC : FlagState.DEC) << 2 | s);
    }

    /** Whether {@code sh} is emitted: SHL/SAL/SHR/SAR of a 32/64-bit register by an immediate not masked to 0. */
    static boolean emits(Shift sh) {
        int mask = sh.size() == 3 ? 63 : 31;
        return sh.isReg() && sh.size() >= 2 && sh.kind() >= Shift.SHL && sh.count() >= 0 && (sh.count() & mask) != 0;
    }

    /**
     * SHL/SAL/SHR/SAR of a 32/64-bit register by an immediate n (1 to size-1, after masking): Shift.exec's result
     * and flags, {@code szp(res) | CF | OF} as kind FL (CF the last bit shifted out; OF as Shift documents it).
     */
    void shift(Shift sh) {
        int s = sh.size();
        int bits = 8 << s;
        int n = sh.count() & (s == 3 ? 63 : 31);
        int reg = sh.rmReg();
        c.local(ClassBytes.LLOAD, OpEmitter.slot(reg));
        if (sh.kind() == Shift.SAR && s == 2) {
            c.op(ClassBytes.L2I);
            c.op(ClassBytes.I2L);
        } else {
            ops.mask(s);
        }
        c.local(ClassBytes.LSTORE, OpEmitter.FA);
        // The result.
        c.local(ClassBytes.LLOAD, OpEmitter.FA);
        c.push(n);
        switch (sh.kind()) {
            case Shift.SHR -> c.op(ClassBytes.LUSHR);
            case Shift.SAR -> c.op(ClassBytes.LSHR);
            default -> c.op(ClassBytes.LSHL);
        }
        ops.mask(s);
        c.local(ClassBytes.LSTORE, OpEmitter.FB);
        // CF: bit (bits - n) of a for a left shift, bit (n - 1) for a right one.
        c.local(ClassBytes.LLOAD, OpEmitter.FA);
        c.push(sh.kind() == Shift.SHR || sh.kind() == Shift.SAR ? n - 1 : bits - n);
        c.op(ClassBytes.LUSHR);
        c.op(ClassBytes.LCONST_1);
        c.op(ClassBytes.LAND);
        c.local(ClassBytes.LSTORE, OpEmitter.EA);
        c.local(ClassBytes.LLOAD, OpEmitter.FB);
        c.push(s);
        c.op(ClassBytes.INVOKESTATIC, cf.methodRef("org/jkvm/softcpu/cpu/FlagState", "szp", "(JI)J"));
        c.local(ClassBytes.LLOAD, OpEmitter.EA);
        c.op(ClassBytes.LOR);
        overflow(sh.kind(), bits);
        c.local(ClassBytes.LSTORE, OpEmitter.FRES);
        ops.setKind(FlagState.FL);
        c.local(ClassBytes.LLOAD, OpEmitter.FB);
        ops.store(reg);
    }

    /**
     * ORs OF into the flags on the stack: SHL, the result's sign XOR CF (EA); SHR, the operand's sign (FA); SAR, 0.
     */
    private void overflow(int kind, int bits) {
        if (kind == Shift.SAR) {
            return;
        }
        if (kind == Shift.SHR) {
            c.local(ClassBytes.LLOAD, OpEmitter.FA);
        } else {
            c.local(ClassBytes.LLOAD, OpEmitter.FB);
            c.local(ClassBytes.LLOAD, OpEmitter.EA);
            c.push(bits - 1);
            c.op(ClassBytes.LSHL);
            c.op(ClassBytes.LXOR);
        }
        c.push(bits - 1);
        c.op(ClassBytes.LUSHR);
        c.op(ClassBytes.LCONST_1);
        c.op(ClassBytes.LAND);
        c.push(11);
        c.op(ClassBytes.LSHL);
        c.op(ClassBytes.LOR);
    }
}
