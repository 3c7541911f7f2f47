package org.jkvm.softcpu.exec;

import org.jkvm.softcpu.cpu.FlagState;
import org.jkvm.softcpu.ops.Branch;
import org.jkvm.softcpu.ops.Mov;
import org.jkvm.softcpu.ops.MulDiv;

/**
 * The register forms of MUL/IMUL, SETcc, CMOVcc and MOVZX/MOVSX, and the block-end Jcc and JMP, for {@link
 * OpEmitter}: each computes what its op's exec computes, on the registers and flags in locals. MUL and IMUL record
 * their flags as exec does ({@code setArith}: kind FL, the six flags in the result), here in the flag locals. One
 * instance per translated method; not thread-safe.
 */
final class MoreEmitter {
    private static final long M32 = 0xffffffffL;
    /** CF | OF, the overflow bits of MUL and IMUL. */
    private static final long CF_OF = FlagState.CF | FlagState.OF;

    private final OpEmitter ops;
    private final FlagEmitter flag;
    private final ClassBytes cf;
    private final ClassBytes.Code c;

    MoreEmitter(OpEmitter ops, FlagEmitter flag, ClassBytes cf, ClassBytes.Code c) {
        this.ops = ops;
        this.flag = flag;
        this.cf = cf;
        this.c = c;
    }

    private void load(int reg) {
        c.local(ClassBytes.LLOAD, OpEmitter.slot(reg));
    }

    /** MUL/IMUL r64: RDX:RAX = RAX * E (unsigned: the signed high half corrected by the operands' signs). */
    void wide(MulDiv m) {
        int src = m.rmReg();
        load(0);
        load(src);
        c.op(ClassBytes.LMUL);
        c.local(ClassBytes.LSTORE, OpEmitter.FA);
        load(0);
        load(src);
        c.op(ClassBytes.INVOKESTATIC, cf.methodRef("java/lang/Math", "multiplyHigh", "(JJ)J"));
        if (m.kind() == MulDiv.MUL) {
            signCorrection(0, src);
            signCorrection(src, 0);
        }
        c.local(ClassBytes.LSTORE, OpEmitter.FB);
        if (m.kind() == MulDiv.MUL) {
            // CF = OF = the high half is not zero
            c.local(ClassBytes.LLOAD, OpEmitter.FB);
            c.op(ClassBytes.LCONST_0);
        } else {
            // CF = OF = the high half is not the sign extension of the low half
            c.local(ClassBytes.LLOAD, OpEmitter.FB);
            c.local(ClassBytes.LLOAD, OpEmitter.FA);
            c.push(63);
            c.op(ClassBytes.LSHR);
        }
        flags(3);
        c.local(ClassBytes.LLOAD, OpEmitter.FA);
        ops.store(0);
        c.local(ClassBytes.LLOAD, OpEmitter.FB);
        ops.store(2);
    }

    /** Adds {@code (x >> 63) & y} (the unsigned product's high half from the signed one). */
    private void signCorrection(int x, int y) {
        load(x);
        c.push(63);
        c.op(ClassBytes.LSHR);
        load(y);
        c.op(ClassBytes.LAND);
        c.op(ClassBytes.LADD);
    }

    /**
     * With two longs on the stack that are equal exactly when there is no overflow, and the low result in FA:
     * {@code FRES = szp(FA, s) | (overflow ? CF | OF : 0)}, kind FL.
     */
    private void flags(int s) {
        c.op(ClassBytes.LCMP);
        c.push(1);
        c.op(ClassBytes.IAND);
        c.op(ClassBytes.I2L);
        c.op(ClassBytes.LDC2_W, cf.longConst(CF_OF));
        c.op(ClassBytes.LMUL);
        c.local(ClassBytes.LLOAD, OpEmitter.FA);
        c.push(s);
        c.op(ClassBytes.INVOKESTATIC, cf.methodRef("org/jkvm/softcpu/cpu/FlagState", "szp", "(JI)J"));
        c.op(ClassBytes.LOR);
        c.local(ClassBytes.LSTORE, OpEmitter.FRES);
        ops.setKind(FlagState.FL);
    }

    /** IMUL G, E(, imm), 32/64-bit: the truncated signed product, CF = OF = it does not fit. */
    void imul(MulDiv.Imul m) {
        int s = m.size();
        if (m.hasImm()) {
            c.op(ClassBytes.LDC2_W, cf.longConst(s == 3 ? m.imm() : (int) m.imm()));
        } else {
            signed(m.gReg(), s);
        }
        c.op(ClassBytes.DUP2);
        c.local(ClassBytes.LSTORE, OpEmitter.EA);
        signed(m.rmReg(), s);
        c.op(ClassBytes.LMUL);
        c.local(ClassBytes.LSTORE, OpEmitter.FA);
        if (s == 3) {
            c.local(ClassBytes.LLOAD, OpEmitter.EA);
            signed(m.rmReg(), s);
            c.op(ClassBytes.INVOKESTATIC, cf.methodRef("java/lang/Math", "multiplyHigh", "(JJ)J"));
            c.local(ClassBytes.LLOAD, OpEmitter.FA);
            c.push(63);
            c.op(ClassBytes.LSHR);
        } else {
            c.local(ClassBytes.LLOAD, OpEmitter.FA);
            c.local(ClassBytes.LLOAD, OpEmitter.FA);
            c.op(ClassBytes.L2I);
            c.op(ClassBytes.I2L);
        }
        if (s == 2) {
            c.local(ClassBytes.LLOAD, OpEmitter.FA);
            c.op(ClassBytes.LDC2_W, cf.longConst(M32));
            c.op(ClassBytes.LAND);
            c.local(ClassBytes.LSTORE, OpEmitter.FA);
        }
        flags(s);
        c.local(ClassBytes.LLOAD, OpEmitter.FA);
        ops.store(m.gReg());
    }

    /** Pushes register {@code reg} as a signed value of size {@code s} (2 or 3). */
    private void signed(int reg, int s) {
        load(reg);
        if (s == 2) {
            c.op(ClassBytes.L2I);
            c.op(ClassBytes.I2L);
        }
    }

    /** SETcc r8: the byte (AL..R15B, or AH..BH at bit 8) becomes the condition, the rest of the register stays. */
    void setcc(Mov.Setcc m) {
        int reg = m.rmReg();
        int sh = m.rmShift();
        load(reg);
        c.op(ClassBytes.LDC2_W, cf.longConst(~(0xffL << sh)));
        c.op(ClassBytes.LAND);
        flag.cond(m.cc());
        c.op(ClassBytes.I2L);
        c.push(sh);
        c.op(ClassBytes.LSHL);
        c.op(ClassBytes.LOR);
        ops.store(reg);
    }

    /** CMOVcc G, E (32/64-bit registers): G = cond ? E : G, a 32-bit G written (zero-extended) either way. */
    void cmov(Mov.Cmov m) {
        flag.cond(m.cc());
        c.op(ClassBytes.I2L);
        c.op(ClassBytes.LNEG);
        c.local(ClassBytes.LSTORE, OpEmitter.EA);
        load(m.rmReg());
        c.local(ClassBytes.LLOAD, OpEmitter.EA);
        c.op(ClassBytes.LAND);
        load(m.gReg());
        c.local(ClassBytes.LLOAD, OpEmitter.EA);
        c.op(ClassBytes.LDC2_W, cf.longConst(-1L));
        c.op(ClassBytes.LXOR);
        c.op(ClassBytes.LAND);
        c.op(ClassBytes.LOR);
        ops.mask(m.size());
        ops.store(m.gReg());
    }

    /**
     * MOVZX/MOVSX/MOVSXD G, r/m (G 32/64-bit): the source's bits (a register's, or the value MemoryEmitter loaded
     * into VAL) extended, then G written at its size.
     */
    void extend(Mov.Extend x) {
        int bits = 8 << x.srcSize();
        if (x.isReg()) {
            load(x.srcReg());
        } else {
            c.local(ClassBytes.LLOAD, OpEmitter.VAL);
        }
        if (x.isReg() && x.srcShift() != 0) {
            c.push(x.srcShift());
            c.op(ClassBytes.LUSHR);
        }
        c.push(64 - bits);
        c.op(ClassBytes.LSHL);
        c.push(64 - bits);
        c.op(x.signed() ? ClassBytes.LSHR : ClassBytes.LUSHR);
        ops.mask(x.dstSize());
        ops.store(x.dstReg());
    }

    /** Jcc at the block's end: {@code if (cond) c.rip = target} (RIP is already the block's end otherwise). */
    void jcc(Branch.Jcc j) {
        flag.cond(j.cc());
        int skip = c.branch(ClassBytes.IFEQ);
        setRip(j.target);
        c.target(skip);
    }

    /** JMP rel at the block's end: {@code c.rip = target}. */
    void jmp(Branch.Jmp j) {
        setRip(j.target);
    }

    private void setRip(long target) {
        c.op(ClassBytes.ALOAD_1);
        c.op(ClassBytes.LDC2_W, cf.longConst(target));
        c.op(ClassBytes.PUTFIELD, cf.fieldRef("org/jkvm/softcpu/cpu/Cpu", "rip", "J"));
    }
}
