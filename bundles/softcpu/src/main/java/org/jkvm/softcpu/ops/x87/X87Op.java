package org.jkvm.softcpu.ops.x87;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.Vec;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.fpu.Fp;
import org.jkvm.softcpu.fpu.Fpu;
import org.jkvm.softcpu.fpu.Num;
import org.jkvm.softcpu.ops.EOp;
import org.jkvm.softcpu.sys.Control;

/**
 * An x87 instruction (opcodes D8-DF): the checks every one makes, its memory operand in each format, and the
 * stack-fault responses (Intel SDM vol. 1, 8.5.1.1).
 *
 * <p>Every x87 instruction raises #NM when CR0.EM or CR0.TS is set. A waiting instruction (all but the FN* control
 * instructions) first delivers a pending unmasked exception (FSW.ES) as #MF when CR0.NE is set; with CR0.NE clear
 * this CPU behaves as if IGNNE# were asserted and goes on (the PC's FERR#/IRQ 13 path is not modelled). A
 * non-control instruction records its opcode, code pointer and (with a memory operand) data pointer for
 * FSTENV/FSAVE/FXSAVE.
 */
public abstract class X87Op extends EOp {
    /** The instruction's 11-bit x87 opcode: the low three bits of the first byte, then the ModRM byte. */
    protected final int fop;
    /** The register form's ST(i). */
    protected final int sti;

    protected X87Op(Dec d, int opcode) {
        super(d, 3);
        this.fop = (opcode & 7) << 8 | d.modrm;
        this.sti = d.modrm & 7;
    }

    /** #NM when CR0.EM or CR0.TS is set (every x87 instruction). */
    protected static Fpu available(Cpu c) {
        if ((c.cr0 & (Control.CR0_EM | Control.CR0_TS)) != 0) {
            throw c.fault(Vec.NM);
        }
        return c.fpu;
    }

    /** {@link #available} and the pending-exception check of a waiting instruction. */
    protected static Fpu waiting(Cpu c) {
        Fpu f = available(c);
        if ((f.fsw & Fpu.ES) != 0 && (c.cr0 & Control.CR0_NE) != 0) {
            throw c.fault(Vec.MF);
        }
        return f;
    }

    /** {@link #waiting}, then records the opcode and pointers of this non-control instruction. */
    protected final Fpu begin(Cpu c) {
        Fpu f = waiting(c);
        f.fop = fop;
        f.fip = rip;
        f.fcs = c.segSel[Cpu.CS];
        if (!isReg) {
            f.fdp = ea(c);
            f.fds = c.segSel[seg];
        }
        return f;
    }

    /** The linear address of byte {@code off} of a memory operand at linear {@code lin}. */
    protected static long at(Cpu c, long lin, int off) {
        return c.code64 ? lin + off : (lin + off) & 0xffffffffL;
    }

    /** Reads {@code n} (2, 4 or 8) bytes of the memory operand. */
    protected final long readMem(Cpu c, int n) {
        int s = n == 2 ? 1 : n == 4 ? 2 : 3;
        return c.read(lin(c, n, false), s);
    }

    /** Writes {@code n} (2, 4 or 8) bytes to the memory operand. */
    protected final void writeMem(Cpu c, int n, long v) {
        int s = n == 2 ? 1 : n == 4 ? 2 : 3;
        c.write(lin(c, n, true), s, v);
    }

    /** Reads an 80-bit memory operand: the significand, with the sign/exponent in {@code scratch[0]}. */
    protected final long read80(Cpu c) {
        long l = lin(c, 10, false);
        long m = c.read(l, 3);
        c.fpu.scratch[0] = c.read(at(c, l, 8), 1);
        return m;
    }

    /** Writes an 80-bit memory operand; both parts are checked for writability first. */
    protected final void write80(Cpu c, int se, long m) {
        long l = lin(c, 10, true);
        c.probeWrite(l, 3);
        c.probeWrite(at(c, l, 8), 1);
        c.write(l, 3, m);
        c.write(at(c, l, 8), 1, se);
    }

    /** Unpacks a memory operand of format {@code mf}: 0 m32fp, 1 m32int, 2 m64fp, 3 m16int (the D8-DE order). */
    protected final Num readOperand(Cpu c, int mf, Num n) {
        Fp fp = c.fpu.fp;
        switch (mf) {
            case 0: return fp.unpack32((int) readMem(c, 4), n);
            case 1: return integer((int) readMem(c, 4), n);
            case 2: return fp.unpack64(readMem(c, 8), n);
            default: return integer((short) readMem(c, 2), n);
        }
    }

    /** A small integer as an exact operand. */
    static Num integer(long v, Num n) {
        if (v == 0) {
            return n.special(Num.ZERO, false, 0);
        }
        long mag = Math.abs(v);
        int lz = Long.numberOfLeadingZeros(mag);
        return n.finite(v < 0, 63 - lz, mag << lz);
    }

    /**
     * Stack underflow (an empty source): IE and SF with C1 = 0. Masked, {@code dest} (an ST index, or -1 for none)
     * gets the indefinite NaN; returns whether the response was masked (the caller then completes, e.g. pops).
     */
    protected static boolean underflow(Fpu f, int dest) {
        f.fsw &= ~Fpu.C1;
        f.raise(Fp.IE | Fpu.SF);
        if ((f.fcw & Fp.IE) == 0) {
            return false;
        }
        if (dest >= 0) {
            f.set(dest, 0xffff, 0xc000000000000000L);
        }
        return true;
    }

    /** Stack overflow (a push onto a full register): IE, SF, C1 = 1; masked, the indefinite NaN is pushed. */
    protected static void overflow(Fpu f) {
        f.fsw |= Fpu.C1;
        f.raise(Fp.IE | Fpu.SF);
        if ((f.fcw & Fp.IE) != 0) {
            f.push(0xffff, 0xc000000000000000L);
        }
    }

    /**
     * Ends an operation whose 80-bit result is {@code mant} with {@code fp.outSe}: an unmasked invalid, denormal or
     * zero-divide exception leaves the destination alone (flags only); otherwise the result goes to ST({@code dest})
     * and C1 says whether it was rounded up.
     *
     * @return whether the result was written (the caller pops only then)
     */
    protected static boolean deliver(Fpu f, int dest, long mant) {
        Fp fp = f.fp;
        int flags = fp.flags;
        if ((flags & fp.unmasked & (Fp.IE | Fp.DE | Fp.ZE)) != 0) {
            f.raise(flags & (Fp.IE | Fp.DE | Fp.ZE));
            f.fsw &= ~Fpu.C1;
            return false;
        }
        f.set(dest, fp.outSe, mant);
        f.fsw = fp.up ? f.fsw | Fpu.C1 : f.fsw & ~Fpu.C1;
        f.raise(flags);
        return true;
    }
}
