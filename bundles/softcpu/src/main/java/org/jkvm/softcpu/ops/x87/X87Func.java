package org.jkvm.softcpu.ops.x87;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.FlagState;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.fpu.Fp;
import org.jkvm.softcpu.fpu.FpConv;
import org.jkvm.softcpu.fpu.FpMath;
import org.jkvm.softcpu.fpu.Fpu;
import org.jkvm.softcpu.fpu.Num;

/**
 * x87 instructions on the stack without a memory operand: FCHS, FABS, FXAM, FSQRT, FRNDINT, FSCALE, FXTRACT,
 * FPREM, FPREM1, FXCH, FINCSTP, FDECSTP, FFREE, FFREEP, FNOP and FCMOVcc (Intel SDM vol. 2). The transcendental
 * ones are in {@link X87Trans}.
 */
public final class X87Func extends X87Op {
    public static final int FCHS = 0;
    public static final int FABS = 1;
    public static final int FXAM = 2;
    public static final int FSQRT = 3;
    public static final int FRNDINT = 4;
    public static final int FSCALE = 5;
    public static final int FXTRACT = 6;
    public static final int FPREM = 7;
    public static final int FPREM1 = 8;
    public static final int FXCH = 9;
    public static final int FINCSTP = 10;
    public static final int FDECSTP = 11;
    public static final int FFREE = 12;
    public static final int FFREEP = 13;
    public static final int FNOP = 14;
    /** FCMOVcc: 15 + condition (0 B, 1 E, 2 BE, 3 U; +4 for the negations NB NE NBE NU). */
    public static final int FCMOV = 15;

    private static final long INDEF = 0xc000000000000000L;
    private final int kind;

    public X87Func(Dec d, int opcode, int kind) {
        super(d, opcode);
        this.kind = kind;
    }

    @Override
    public void exec(Cpu c) {
        Fpu f = begin(c);
        Fp fp = f.fp.x87(f.fcw);
        switch (kind) {
            case FXCH: fxch(f); return;
            case FINCSTP: f.top = (f.top + 1) & 7; f.fsw &= ~Fpu.C1; return;
            case FDECSTP: f.top = (f.top - 1) & 7; f.fsw &= ~Fpu.C1; return;
            case FFREE: f.tags &= ~(1 << f.phys(sti)); f.fsw &= ~Fpu.C1; return;
            case FFREEP: f.tags &= ~(1 << f.phys(sti)); f.pop(); f.fsw &= ~Fpu.C1; return;
            case FNOP: return;
            case FXAM: fxam(f); return;
            default: break;
        }
        if (kind >= FCMOV) {
            fcmov(c, f);
            return;
        }
        boolean two = kind == FSCALE || kind == FPREM || kind == FPREM1;
        if (f.empty(0) || (two && f.empty(1))) {
            if (kind == FPREM || kind == FPREM1) {
                f.fsw &= ~Fpu.C2;
            }
            if (kind == FXTRACT && f.empty(0) && underflow(f, 0)) {
                // The underflow wins over an overflow of the push as well: C1 stays 0 (as the host shows).
                X87Move.push(f, fp.indefinite(Fp.F80));
                f.fsw &= ~Fpu.C1;
            } else {
                underflow(f, 0);
            }
            return;
        }
        Num x = f.get(0, fp.a);
        switch (kind) {
            case FCHS: case FABS: {
                int p = f.phys(0);
                f.se[p] = kind == FCHS ? f.se[p] ^ 0x8000 : f.se[p] & 0x7fff;
                f.fsw &= ~Fpu.C1;
                return;
            }
            case FSQRT: deliver(f, 0, FpMath.sqrt(fp, x, Fp.F80, fp.prec)); return;
            case FRNDINT: deliver(f, 0, FpConv.roundInt(fp, x)); return;
            case FSCALE: deliver(f, 0, FpConv.scale(fp, x, f.get(1, fp.b))); return;
            case FXTRACT: fxtract(f, fp, x); return;
            default: prem(f, fp, x);
        }
    }

    private void fxch(Fpu f) {
        if (f.empty(0) || f.empty(sti)) {
            if (!underflow(f, -1)) {
                return;
            }
            if (f.empty(0)) {
                f.set(0, 0xffff, INDEF);
            }
            if (f.empty(sti)) {
                f.set(sti, 0xffff, INDEF);
            }
        }
        int a = f.phys(0);
        int b = f.phys(sti);
        int se = f.se[a];
        long m = f.st[a];
        f.se[a] = f.se[b];
        f.st[a] = f.st[b];
        f.se[b] = se;
        f.st[b] = m;
        f.fsw &= ~Fpu.C1;
    }

    /**
     * FXAM: C3 C2 C0 = class (000 unsupported, 001 NaN, 010 normal, 011 infinity, 100 zero, 101 empty, 110 denormal).
     */
    private static void fxam(Fpu f) {
        int p = f.phys(0);
        int cc;
        if (f.empty(0)) {
            cc = Fpu.C3 | Fpu.C0;
        } else {
            int e = f.se[p] & 0x7fff;
            long m = f.st[p];
            if (e == 0) {
                cc = m == 0 ? Fpu.C3 : Fpu.C3 | Fpu.C2;
            } else if (m >= 0) {
                cc = 0;
            } else if (e == 0x7fff) {
                cc = (m << 1) == 0 ? Fpu.C2 | Fpu.C0 : Fpu.C0;
            } else {
                cc = Fpu.C2;
            }
        }
        f.cc(cc | ((f.se[p] & 0x8000) != 0 ? Fpu.C1 : 0));
    }

    private void fcmov(Cpu c, Fpu f) {
        int cond = kind - FCMOV;
        long fl = c.arith();
        boolean t;
        switch (cond & 3) {
            case 0: t = (fl & FlagState.CF) != 0; break;
            case 1: t = (fl & FlagState.ZF) != 0; break;
            case 2: t = (fl & (FlagState.CF | FlagState.ZF)) != 0; break;
            default: t = (fl & FlagState.PF) != 0; break;
        }
        if (cond >= 4) {
            t = !t;
        }
        if (f.empty(0) || f.empty(sti)) {
            // Either register empty: stack underflow, and (masked) ST(0) becomes the indefinite NaN whatever the
            // condition; C1 is left alone otherwise.
            underflow(f, 0);
            return;
        }
        if (t) {
            int p = f.phys(sti);
            f.set(0, f.se[p], f.st[p]);
        }
    }

    /** FXTRACT: ST(0) <- exponent, then push the significand (exponent 0, same sign). */
    private static void fxtract(Fpu f, Fp fp, Num x) {
        if (!f.empty(7)) {
            // Stack overflow: C1 = 1 whether masked or not (SDM 8.5.1.1; the oracle's host agrees).
            overflowBoth(f);
            f.fsw |= Fpu.C1;
            return;
        }
        long sig;
        int sigSe;
        long exp;
        int expSe;
        if (x.nan() || x.cls == Num.BAD) {
            exp = FpMath.add(fp, x, x, false, Fp.F80, 64);
            expSe = fp.outSe;
            sig = exp;
            sigSe = expSe;
        } else if (x.cls == Num.ZERO) {
            fp.flags |= Fp.ZE;
            exp = fp.inf(true, Fp.F80);
            expSe = fp.outSe;
            sig = fp.zero(x.neg, Fp.F80);
            sigSe = fp.outSe;
        } else if (x.cls == Num.INF) {
            exp = fp.inf(false, Fp.F80);
            expSe = fp.outSe;
            sig = fp.inf(x.neg, Fp.F80);
            sigSe = fp.outSe;
        } else {
            if (x.denormal) {
                fp.flags |= Fp.DE;
            }
            exp = FpConv.exponentOf(fp, x);
            expSe = fp.outSe;
            sig = x.sig;
            sigSe = (x.neg ? 0x8000 : 0) | 0x3fff;
        }
        if ((fp.flags & fp.unmasked) != 0) {
            // Unmasked: nothing is written and C1 is cleared, as for any arithmetic (see deliver).
            f.raise(fp.flags);
            f.fsw &= ~Fpu.C1;
            return;
        }
        f.set(0, expSe, exp);
        f.push(sigSe, sig);
        f.fsw &= ~Fpu.C1;
        f.raise(fp.flags);
    }

    /**
     * Stack overflow of an instruction that replaces ST(0) and pushes (FXTRACT, FPTAN, FSINCOS): masked, both the
     * old ST(0) and the new one are the indefinite NaN.
     */
    static void overflowBoth(Fpu f) {
        if ((f.fcw & Fp.IE) != 0) {
            f.set(0, 0xffff, INDEF);
        }
        overflow(f);
    }

    /** FPREM/FPREM1: C2 = incomplete, C0 C3 C1 = quotient bits 2, 1, 0 of a complete reduction. */
    private void prem(Fpu f, Fp fp, Num x) {
        int[] q = {0};
        long m = FpConv.remainder(fp, x, f.get(1, fp.b), kind == FPREM1, q);
        boolean written = deliver(f, 0, m);
        if (!written || q[0] == FpConv.PREM_NAN) {
            f.fsw &= ~(Fpu.C1 | Fpu.C2);
            return;
        }
        if (q[0] == FpConv.PREM_INCOMPLETE) {
            f.cc(Fpu.C2);
            return;
        }
        int bits = q[0];
        f.cc(((bits & 4) != 0 ? Fpu.C0 : 0) | ((bits & 2) != 0 ? Fpu.C3 : 0) | ((bits & 1) != 0 ? Fpu.C1 : 0));
    }
}
