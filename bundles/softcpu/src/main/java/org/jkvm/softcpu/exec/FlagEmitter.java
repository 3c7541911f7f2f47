package org.jkvm.softcpu.exec;

import org.jkvm.softcpu.cpu.FlagState;

/**
 * The flag reads of {@link OpEmitter}'s ops (ADC/SBB and INC/DEC's carry, SETcc, CMOVcc): each pushes an int 0 or
 * 1. With the pending flags' kind known at translation time the flag is computed from the record in the locals
 * (FlagState's formulas for that kind, without the switch); otherwise (kind chosen at run time, or parity) the
 * record is stored to Cpu and FlagState's own method is called. One instance per translated method.
 */
final class FlagEmitter {
    private static final String CPU = "org/jkvm/softcpu/cpu/Cpu";

    private final OpEmitter ops;
    private final ClassBytes cf;
    private final ClassBytes.Code c;

    FlagEmitter(OpEmitter ops, ClassBytes cf, ClassBytes.Code c) {
        this.ops = ops;
        this.cf = cf;
        this.c = c;
    }

    /** The pending flags' ccOp when known at translation time, else -1 (after storing them to Cpu). */
    private int known(boolean parity) {
        int f = ops.flags();
        if (f == OpEmitter.DYNAMIC || f >= 0 && parity) {
            ops.flagsToCpu();
            return -1;
        }
        return f;
    }

    /** Pushes CF. */
    void cf() {
        int f = known(false);
        if (f < 0) {
            c.op(ClassBytes.ALOAD_1);
            c.op(ClassBytes.INVOKEVIRTUAL, cf.methodRef(CPU, "cf", "()Z"));
            return;
        }
        switch (f >> 2) {
            case FlagState.FL -> bit(0);
            case FlagState.ADD -> below(OpEmitter.FRES, OpEmitter.FA, false);
            case FlagState.ADC -> below(OpEmitter.FA, OpEmitter.FRES, true);
            case FlagState.SUB -> below(OpEmitter.FA, OpEmitter.FB, false);
            case FlagState.SBB -> below(OpEmitter.FB, OpEmitter.FA, true);
            case FlagState.INC, FlagState.DEC -> {
                c.local(ClassBytes.LLOAD, OpEmitter.FB);
                c.op(ClassBytes.L2I);
            }
            default -> c.push(0);
        }
    }

    /** Pushes condition {@code cc} (FlagState.cond's numbering). */
    void cond(int cc) {
        int f = known((cc >> 1) == 5);
        if (f < 0) {
            c.op(ClassBytes.ALOAD_1);
            c.push(cc);
            c.op(ClassBytes.INVOKEVIRTUAL, cf.methodRef(CPU, "cond", "(I)Z"));
            return;
        }
        switch (cc >> 1) {
            case 0 -> of(f);
            case 1 -> cf();
            case 2 -> zf(f);
            case 3 -> {
                cf();
                zf(f);
                c.op(ClassBytes.IOR);
            }
            case 4 -> sf(f);
            case 6 -> {
                sf(f);
                of(f);
                c.op(ClassBytes.IXOR);
            }
            default -> {
                zf(f);
                sf(f);
                of(f);
                c.op(ClassBytes.IXOR);
                c.op(ClassBytes.IOR);
            }
        }
        if ((cc & 1) != 0) {
            c.push(1);
            c.op(ClassBytes.IXOR);
        }
    }

    /** Pushes bit {@code n} of the materialised flags (kind FL). */
    private void bit(int n) {
        c.local(ClassBytes.LLOAD, OpEmitter.FRES);
        c.push(n);
        c.op(ClassBytes.LUSHR);
        c.op(ClassBytes.L2I);
        c.push(1);
        c.op(ClassBytes.IAND);
    }

    private void zf(int f) {
        if (f >> 2 == FlagState.FL) {
            bit(6);
            return;
        }
        isZero(OpEmitter.FRES, 0);
    }

    private void sf(int f) {
        if (f >> 2 == FlagState.FL) {
            bit(7);
            return;
        }
        c.local(ClassBytes.LLOAD, OpEmitter.FRES);
        c.push((8 << (f & 3)) - 1);
        c.op(ClassBytes.LUSHR);
        c.op(ClassBytes.L2I);
        c.push(1);
        c.op(ClassBytes.IAND);
    }

    private void of(int f) {
        int sh = (8 << (f & 3)) - 1;
        switch (f >> 2) {
            case FlagState.FL -> bit(11);
            case FlagState.ADD, FlagState.ADC, FlagState.SUB, FlagState.SBB -> {
                boolean add = f >> 2 <= FlagState.ADC;
                // ADD: (a ^ res) & (b ^ res); SUB: (a ^ b) & (a ^ res); the sign bit at the operand size.
                c.local(ClassBytes.LLOAD, OpEmitter.FA);
                c.local(ClassBytes.LLOAD, add ? OpEmitter.FRES : OpEmitter.FB);
                c.op(ClassBytes.LXOR);
                c.local(ClassBytes.LLOAD, add ? OpEmitter.FB : OpEmitter.FA);
                c.local(ClassBytes.LLOAD, OpEmitter.FRES);
                c.op(ClassBytes.LXOR);
                c.op(ClassBytes.LAND);
                c.push(sh);
                c.op(ClassBytes.LUSHR);
                c.op(ClassBytes.L2I);
                c.push(1);
                c.op(ClassBytes.IAND);
            }
            case FlagState.INC -> isZero(OpEmitter.FRES, 1L << sh);
            case FlagState.DEC -> isZero(OpEmitter.FA, 1L << sh);
            default -> c.push(0);
        }
    }

    /** Pushes {@code local == value} as 0/1 (LCMP gives -1, 0 or 1: bit 0 is set unless equal). */
    private void isZero(int local, long value) {
        c.local(ClassBytes.LLOAD, local);
        c.op(ClassBytes.LDC2_W, cf.longConst(value));
        c.op(ClassBytes.LCMP);
        c.push(1);
        c.op(ClassBytes.IAND);
        c.push(1);
        c.op(ClassBytes.IXOR);
    }

    /** Pushes {@code x <u y} as 0/1, or its negation. */
    private void below(int x, int y, boolean negate) {
        c.local(ClassBytes.LLOAD, x);
        c.local(ClassBytes.LLOAD, y);
        c.op(ClassBytes.INVOKESTATIC, cf.methodRef("java/lang/Long", "compareUnsigned", "(JJ)I"));
        c.push(31);
        c.op(ClassBytes.IUSHR);
        if (negate) {
            c.push(1);
            c.op(ClassBytes.IXOR);
        }
    }
}
