package org.jkvm.softcpu.cpu;

/**
 * RFLAGS with lazily computed arithmetic flags. An arithmetic instruction records what it did ({@link #ccOp}: kind
 * and operand size, operands {@link #ccA}, {@link #ccB} and the result {@link #ccRes}, all masked to the operand
 * size); CF, PF, AF, ZF, SF and OF are computed only when something reads them. Kind {@link #FL} means the six
 * flags are materialised in {@code ccRes}. The other RFLAGS bits (IF, DF, TF, IOPL, ...) live in {@link #flags}.
 *
 * <p>Undefined flags (documented choice, as AMD Zen CPUs leave them): AND/OR/XOR/TEST clear AF.
 */
public class FlagState {
    public static final long CF = 1;
    public static final long PF = 1 << 2;
    public static final long AF = 1 << 4;
    public static final long ZF = 1 << 6;
    public static final long SF = 1 << 7;
    public static final long TF = 1 << 8;
    public static final long IF = 1 << 9;
    public static final long DF = 1 << 10;
    public static final long OF = 1 << 11;
    public static final long IOPL = 3 << 12;
    public static final long NT = 1 << 14;
    public static final long RF = 1 << 16;
    public static final long VM = 1 << 17;
    public static final long AC = 1 << 18;
    public static final long VIF = 1 << 19;
    public static final long VIP = 1 << 20;
    public static final long ID = 1 << 21;
    /** The six arithmetic flags. */
    public static final long ARITH = CF | PF | AF | ZF | SF | OF;

    public static final int FL = 0;
    public static final int ADD = 1;
    public static final int ADC = 2;
    public static final int SUB = 3;
    public static final int SBB = 4;
    public static final int LOGIC = 5;
    public static final int INC = 6;
    public static final int DEC = 7;

    /** RFLAGS without the arithmetic flags; bit 1 is always set. */
    public long flags = 2;
    public int ccOp;
    public long ccRes;
    public long ccA;
    public long ccB;

    private static final long[] M = {0xffL, 0xffffL, 0xffffffffL, -1L};

    /** Records an arithmetic result: {@code kind} (ADD, SUB, ...), size index {@code s}. */
    public final void cc(int kind, int s, long a, long b, long res) {
        ccOp = kind << 2 | s;
        ccA = a;
        ccB = b;
        ccRes = res;
    }

    /** Records a logical result (CF = OF = AF = 0). */
    public final void ccLogic(int s, long res) {
        ccOp = LOGIC << 2 | s;
        ccRes = res;
    }

    /** Sets the arithmetic flags directly (bits of {@link #ARITH}). */
    public final void setArith(long bits) {
        ccOp = FL;
        ccRes = bits & ARITH;
    }

    private int signShift() {
        return (8 << (ccOp & 3)) - 1;
    }

    public final boolean cf() {
        switch (ccOp >> 2) {
            case FL: return (ccRes & CF) != 0;
            case ADD: return Long.compareUnsigned(ccRes, ccA) < 0;
            case ADC: return Long.compareUnsigned(ccRes, ccA) <= 0;
            case SUB: return Long.compareUnsigned(ccA, ccB) < 0;
            case SBB: return Long.compareUnsigned(ccA, ccB) <= 0;
            case INC: case DEC: return ccB != 0;
            default: return false;
        }
    }

    public final boolean zf() {
        return ccOp == FL ? (ccRes & ZF) != 0 : ccRes == 0;
    }

    public final boolean sf() {
        return ccOp == FL ? (ccRes & SF) != 0 : ((ccRes >>> signShift()) & 1) != 0;
    }

    public final boolean pf() {
        return ccOp == FL ? (ccRes & PF) != 0 : (Integer.bitCount((int) ccRes & 0xff) & 1) == 0;
    }

    public final boolean af() {
        switch (ccOp >> 2) {
            case FL: return (ccRes & AF) != 0;
            case LOGIC: return false;
            case INC: case DEC: return ((ccA ^ ccRes) & 0x10) != 0;
            default: return ((ccA ^ ccB ^ ccRes) & 0x10) != 0;
        }
    }

    public final boolean of() {
        int sh = signShift();
        switch (ccOp >> 2) {
            case FL: return (ccRes & OF) != 0;
            case ADD: case ADC: return (((ccA ^ ccRes) & (ccB ^ ccRes)) >>> sh & 1) != 0;
            case SUB: case SBB: return (((ccA ^ ccB) & (ccA ^ ccRes)) >>> sh & 1) != 0;
            case INC: return ccRes == 1L << sh;
            case DEC: return ccA == 1L << sh;
            default: return false;
        }
    }

    /** The six arithmetic flags as RFLAGS bits (one switch on the kind: ROL/RCL and friends read them all). */
    public final long arith() {
        int kind = ccOp >> 2;
        if (kind == FL) {
            return ccRes;
        }
        long res = ccRes;
        int sh = signShift();
        long f = (res == 0 ? ZF : 0) | ((res >>> sh) & 1) << 7 | parity(res);
        long a = ccA;
        long b = ccB;
        switch (kind) {
            case ADD:
                return f | (Long.compareUnsigned(res, a) < 0 ? CF : 0) | ((a ^ b ^ res) & AF)
                        | ((((a ^ res) & (b ^ res)) >>> sh & 1) << 11);
            case ADC:
                return f | (Long.compareUnsigned(res, a) <= 0 ? CF : 0) | ((a ^ b ^ res) & AF)
                        | ((((a ^ res) & (b ^ res)) >>> sh & 1) << 11);
            case SUB:
                return f | (Long.compareUnsigned(a, b) < 0 ? CF : 0) | ((a ^ b ^ res) & AF)
                        | ((((a ^ b) & (a ^ res)) >>> sh & 1) << 11);
            case SBB:
                return f | (Long.compareUnsigned(a, b) <= 0 ? CF : 0) | ((a ^ b ^ res) & AF)
                        | ((((a ^ b) & (a ^ res)) >>> sh & 1) << 11);
            case INC:
                return f | (b != 0 ? CF : 0) | ((a ^ res) & AF) | (res == 1L << sh ? OF : 0);
            case DEC:
                return f | (b != 0 ? CF : 0) | ((a ^ res) & AF) | (a == 1L << sh ? OF : 0);
            default:
                return f;
        }
    }

    /** The whole RFLAGS. */
    public final long rflags() {
        return flags | arith();
    }

    /** Sets the whole RFLAGS (no privilege rules: the caller applies them). */
    public final void setRflags(long v) {
        flags = (v & ~ARITH & 0x3f7fd7L) | 2;
        setArith(v);
    }

    /** Sets or clears CF, keeping the other arithmetic flags. */
    public final void setCf(boolean c) {
        setArith((arith() & ~CF) | (c ? CF : 0));
    }

    /** Evaluates condition code {@code cc} (0-15: O, NO, B, AE, E, NE, BE, A, S, NS, P, NP, L, GE, LE, G). */
    public final boolean cond(int cc) {
        boolean v;
        switch (cc >> 1) {
            case 0: v = of(); break;
            case 1: v = cf(); break;
            case 2: v = zf(); break;
            case 3: v = cf() || zf(); break;
            case 4: v = sf(); break;
            case 5: v = pf(); break;
            case 6: v = sf() != of(); break;
            default: v = zf() || sf() != of(); break;
        }
        return v ^ ((cc & 1) != 0);
    }

    /** The operand mask of size index {@code s}. */
    public static long mask(int s) {
        return M[s];
    }

    /** PF as an RFLAGS bit for a result. */
    public static long parity(long res) {
        return (Integer.bitCount((int) res & 0xff) & 1) == 0 ? PF : 0;
    }

    /** ZF, SF and PF as RFLAGS bits for a result of size {@code s}. */
    public static long szp(long res, int s) {
        res &= M[s];
        return (res == 0 ? ZF : 0) | ((res >>> ((8 << s) - 1)) != 0 ? SF : 0) | parity(res);
    }
}
