package org.jkvm.softcpu.ops.x87;

import java.math.BigDecimal;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.fpu.Fp;
import org.jkvm.softcpu.fpu.FpMath;
import org.jkvm.softcpu.fpu.Fpu;
import org.jkvm.softcpu.fpu.Num;
import org.jkvm.softcpu.fpu.Transcend;

/**
 * The x87 transcendental instructions: F2XM1, FYL2X, FYL2XP1, FPTAN, FPATAN, FSIN, FCOS, FSINCOS, with the special
 * operands of their SDM tables; the values come from {@link Transcend}. FSIN, FCOS, FSINCOS and FPTAN leave an
 * operand of magnitude 2^63 or more alone and set C2.
 */
public final class X87Trans extends X87Op {
    public static final int F2XM1 = 0;
    public static final int FYL2X = 1;
    public static final int FPTAN = 2;
    public static final int FPATAN = 3;
    public static final int FYL2XP1 = 4;
    public static final int FSINCOS = 5;
    public static final int FSIN = 6;
    public static final int FCOS = 7;

    private final int kind;

    public X87Trans(Dec d, int opcode, int kind) {
        super(d, opcode);
        this.kind = kind;
    }

    private boolean binary() {
        return kind == FYL2X || kind == FPATAN || kind == FYL2XP1;
    }

    private boolean pushes() {
        return kind == FPTAN || kind == FSINCOS;
    }

    @Override
    public void exec(Cpu c) {
        Fpu f = begin(c);
        Fp fp = f.fp.x87(f.fcw);
        if (f.empty(0) || (binary() && f.empty(1))) {
            if (underflow(f, binary() ? 1 : 0)) {
                if (binary()) {
                    f.pop();
                } else if (pushes()) {
                    X87Move.push(f, fp.indefinite(Fp.F80));
                }
            }
            return;
        }
        Num x = f.get(0, fp.a);
        if (binary()) {
            Num y = f.get(1, fp.b);
            long m = kind == FPATAN ? atan(fp, y, x) : kind == FYL2X ? ylog2x(fp, y, x) : ylog2xp1(fp, y, x);
            if (deliver(f, 1, m)) {
                f.pop();
            }
            return;
        }
        if (kind == F2XM1) {
            deliver(f, 0, exp2m1(fp, x));
            return;
        }
        if (pushes() && !f.empty(7)) {
            // Stack overflow comes before the range check; C2 is cleared and C1 = 1, masked or not (as FXTRACT;
            // the oracle's host agrees when C1 is compared: -Doracle.exactTranscendentals=true).
            X87Func.overflowBoth(f);
            f.fsw &= ~Fpu.C2;
            f.fsw |= Fpu.C1;
            return;
        }
        if (!Transcend.inRange(x)) {
            f.fsw |= Fpu.C2;
            return;
        }
        f.fsw &= ~Fpu.C2;
        trig(f, fp, x);
    }

    private void trig(Fpu f, Fp fp, Num x) {
        long first;
        int firstSe;
        long second = Long.MIN_VALUE;
        int secondSe = 0x3fff;
        if (x.nan() || x.cls == Num.BAD || x.cls == Num.INF) {
            first = x.cls == Num.INF ? fp.invalid(Fp.F80) : FpMath.add(fp, x, x, false, Fp.F80, 64);
            firstSe = fp.outSe;
            second = first;
            secondSe = firstSe;
        } else if (x.cls == Num.ZERO) {
            first = kind == FCOS ? Long.MIN_VALUE : 0;
            firstSe = kind == FCOS ? 0x3fff : x.neg ? 0x8000 : 0;
            second = kind == FSINCOS ? Long.MIN_VALUE : second;
        } else if (x.denormal && kind == FPTAN) {
            // FPTAN of a denormal gives the operand itself (normalised), inexact and underflowing, whatever the
            // rounding direction (as this host shows; FSIN rounds sin x properly).
            fp.flags |= Fp.DE;
            first = fp.round(x.neg, x.exp, x.sig, 1, Fp.F80, 64);
            firstSe = fp.outSe;
            fp.up = false;
        } else {
            if (x.denormal) {
                fp.flags |= Fp.DE;
            }
            first = Transcend.trig(fp, x, kind == FCOS ? 1 : kind == FPTAN ? 2 : 0);
            firstSe = fp.outSe;
            boolean up = fp.up;
            if (kind == FSINCOS) {
                second = Transcend.trig(fp, x, 1);
                secondSe = fp.outSe;
                fp.up = up;   // C1 says how sin (ST(1)) was rounded, as on the host
            }
        }
        if ((fp.flags & fp.unmasked & (Fp.IE | Fp.DE)) != 0) {
            // Unmasked invalid or denormal operand: nothing is computed, so no precision or underflow flag.
            f.raise(fp.flags & (Fp.IE | Fp.DE));
            f.fsw &= ~Fpu.C1;
            return;
        }
        f.set(0, firstSe, first);
        if (pushes()) {
            f.push(secondSe, second);
        }
        f.fsw = fp.up ? f.fsw | Fpu.C1 : f.fsw & ~Fpu.C1;
        f.raise(fp.flags);
    }

    private static long exp2m1(Fp fp, Num x) {
        if (x.nan() || x.cls == Num.BAD) {
            return FpMath.add(fp, x, x, false, Fp.F80, 64);
        }
        if (x.cls == Num.ZERO) {
            return fp.zero(x.neg, Fp.F80);
        }
        if (x.cls == Num.INF) {
            return x.neg ? fp.round(true, 0, Long.MIN_VALUE, 0, Fp.F80, 64) : fp.inf(false, Fp.F80);
        }
        if (x.denormal) {
            fp.flags |= Fp.DE;
        }
        return Transcend.exp2m1(fp, x);
    }

    /** FPATAN: atan2(y = ST(1), x = ST(0)) with IEEE's special values. */
    private static long atan(Fp fp, Num y, Num x) {
        if (y.nan() || x.nan() || y.cls == Num.BAD || x.cls == Num.BAD) {
            return FpMath.add(fp, y, x, false, Fp.F80, 64);
        }
        if (y.denormal || x.denormal) {
            fp.flags |= Fp.DE;
        }
        boolean yInf = y.cls == Num.INF;
        boolean xInf = x.cls == Num.INF;
        if (y.cls == Num.ZERO) {
            return x.neg ? pi(fp, y.neg, 1, 1) : fp.zero(y.neg, Fp.F80);
        }
        if (x.cls == Num.ZERO || (yInf && !xInf)) {
            return pi(fp, y.neg, 1, 2);
        }
        if (xInf && !yInf) {
            return x.neg ? pi(fp, y.neg, 1, 1) : fp.zero(y.neg, Fp.F80);
        }
        if (xInf) {
            return x.neg ? pi(fp, y.neg, 3, 4) : pi(fp, y.neg, 1, 4);
        }
        return Transcend.atan2(fp, y, x);
    }

    /** {@code +-pi * num / den}, rounded. */
    private static long pi(Fp fp, boolean neg, int num, int den) {
        BigDecimal v = Transcend.PI.multiply(BigDecimal.valueOf(num)).divide(BigDecimal.valueOf(den));
        return Transcend.roundValue(fp, neg ? v.negate() : v);
    }

    /** FYL2X: y * log2(x). */
    private static long ylog2x(Fp fp, Num y, Num x) {
        if (y.nan() || x.nan() || y.cls == Num.BAD || x.cls == Num.BAD) {
            return FpMath.add(fp, y, x, false, Fp.F80, 64);
        }
        // The log of a negative number is invalid, which outranks a denormal operand (SDM vol. 1, 8.7): no DE.
        if (x.neg && x.cls != Num.ZERO) {
            return fp.invalid(Fp.F80);
        }
        if (x.cls != Num.ZERO && (y.denormal || x.denormal)) {
            fp.flags |= Fp.DE;   // log2 0 is a zero divide (or invalid), which outranks a denormal y as well
        }
        if (x.cls == Num.ZERO) {
            if (y.cls == Num.ZERO) {
                return fp.invalid(Fp.F80);
            }
            if (y.cls != Num.INF) {
                fp.flags |= Fp.ZE;
            }
            return fp.inf(!y.neg, Fp.F80);
        }
        boolean one = x.cls == Num.FINITE && x.exp == 0 && x.sig == Long.MIN_VALUE;
        boolean below = x.cls == Num.FINITE && x.exp < 0;
        if (x.cls == Num.INF) {
            return y.cls == Num.ZERO ? fp.invalid(Fp.F80) : fp.inf(y.neg, Fp.F80);
        }
        if (y.cls == Num.INF) {
            return one ? fp.invalid(Fp.F80) : fp.inf(y.neg ^ below, Fp.F80);
        }
        if (y.cls == Num.ZERO) {
            return fp.zero(y.neg ^ below, Fp.F80);
        }
        return Transcend.ylog2x(fp, y, x);
    }

    /** FYL2XP1: y * log2(x + 1). */
    private static long ylog2xp1(Fp fp, Num y, Num x) {
        if (y.nan() || x.nan() || y.cls == Num.BAD || x.cls == Num.BAD) {
            return FpMath.add(fp, y, x, false, Fp.F80, 64);
        }
        boolean belowMinusOne = x.neg && (x.cls == Num.INF || (x.cls == Num.FINITE && x.exp >= 0));
        if (belowMinusOne) {
            return fp.invalid(Fp.F80);   // before the denormal check, as FYL2X
        }
        if (y.denormal || x.denormal) {
            fp.flags |= Fp.DE;
        }
        if (x.cls == Num.ZERO) {
            return y.cls == Num.INF ? fp.invalid(Fp.F80) : fp.zero(y.neg ^ x.neg, Fp.F80);
        }
        if (x.cls == Num.INF) {
            return y.cls == Num.ZERO ? fp.invalid(Fp.F80) : fp.inf(y.neg, Fp.F80);
        }
        if (y.cls == Num.INF) {
            return fp.inf(y.neg ^ x.neg, Fp.F80);
        }
        if (y.cls == Num.ZERO) {
            return fp.zero(y.neg ^ x.neg, Fp.F80);
        }
        return Transcend.ylog2xp1(fp, y, x);
    }
}
