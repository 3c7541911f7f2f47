package org.jkvm.softcpu.ops.sse;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.GuestFault;
import org.jkvm.softcpu.cpu.Vec;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.fpu.Fp;
import org.jkvm.softcpu.fpu.Fpu;
import org.jkvm.softcpu.ops.EOp;
import org.jkvm.softcpu.sys.Control;

/**
 * An SSE or MMX instruction (Intel SDM vol. 1, 11.6 and 9.5; vol. 3, table 13-... "Effect of CR0 and CR4 on SSE"):
 * the state checks, the register fields and the memory operand in 32, 64 and 128 bits.
 *
 * <p>SSE: #UD with CR0.EM or without CR4.OSFXSR, #NM with CR0.TS; an unmasked SIMD floating-point exception is
 * #XM with CR4.OSXMMEXCPT, else #UD, and leaves the destination and the other flags' lanes unwritten. A 128-bit
 * memory operand of the legacy encodings must be 16-byte aligned (#GP(0)) except for the unaligned moves, unless
 * MXCSR.MM (AMD's misaligned SSE mode) is set.
 * MMX: #UD with CR0.EM, #NM with CR0.TS, a pending x87 exception first (#MF); then the x87 state switches to MMX
 * use (TOP = 0, all tags valid) once the instruction cannot fault. MMX registers ignore REX.R and REX.B.
 */
public abstract class SseOp extends EOp {
    /** The ModRM reg field with REX.R (an XMM register; & 7 for an MMX register). */
    protected final int xr;
    /** The ModRM r/m register with REX.B. */
    protected final int xm;

    protected SseOp(Dec d) {
        super(d, 3);
        this.xr = d.regField;
        this.xm = d.rm;
    }

    /** The checks of an SSE instruction. */
    protected static Fpu sse(Cpu c) {
        if ((c.cr0 & Control.CR0_EM) != 0 || (c.cr4 & Control.CR4_OSFXSR) == 0) {
            throw c.fault(Vec.UD);
        }
        if ((c.cr0 & Control.CR0_TS) != 0) {
            throw c.fault(Vec.NM);
        }
        return c.fpu;
    }

    /**
     * The checks of an MMX instruction. The switch to MMX use ({@link Fpu#mmxEnter}) is the caller's, once nothing
     * can fault any more.
     */
    protected static Fpu mmx(Cpu c) {
        if ((c.cr0 & Control.CR0_EM) != 0) {
            throw c.fault(Vec.UD);
        }
        if ((c.cr0 & Control.CR0_TS) != 0) {
            throw c.fault(Vec.NM);
        }
        Fpu f = c.fpu;
        if ((f.fsw & Fpu.ES) != 0 && (c.cr0 & Control.CR0_NE) != 0) {
            throw c.fault(Vec.MF);
        }
        return f;
    }

    /** The SSE checks of an instruction with an MMX register operand too (CVTPI2PS, MOVQ2DQ, ...). */
    protected static Fpu sseMmx(Cpu c) {
        sse(c);
        return mmx(c);
    }

    /** The SIMD floating-point exception: #XM with CR4.OSXMMEXCPT, else #UD. */
    protected static GuestFault simdFault(Cpu c) {
        return c.fault((c.cr4 & Control.CR4_OSXMMEXCPT) != 0 ? Vec.XM : Vec.UD);
    }

    /**
     * Ends the floating-point part of an SSE instruction: records its flags in MXCSR and raises the SIMD exception
     * when one of them is unmasked (an unmasked invalid, denormal or divide-by-zero condition in any lane records
     * only those, the checks that come before computing).
     */
    protected static void commit(Cpu c, Fpu f, Fp fp) {
        int flags = fp.flags;
        if ((flags & fp.unmasked & 7) != 0) {
            f.mxcsr |= flags & 7;
            throw simdFault(c);
        }
        f.mxcsr |= flags & 0x3f;
        if ((flags & fp.unmasked) != 0) {
            throw simdFault(c);
        }
    }

    /** The linear address of an {@code n}-byte access, 16-byte aligned when {@code aligned} (else #GP(0)). */
    protected final long addr(Cpu c, int n, boolean write, boolean aligned) {
        long l = lin(c, n, write);
        if (aligned && (l & 15) != 0 && (c.fpu.mxcsr & Fpu.MXCSR_MM) == 0) {
            throw c.fault(Vec.GP, 0);
        }
        return l;
    }

    private static long next(Cpu c, long lin) {
        return c.code64 ? lin + 8 : (lin + 8) & 0xffffffffL;
    }

    /** Reads the 128-bit memory operand: low half returned, high half in {@code scratch[1]}. */
    protected final long load128(Cpu c, boolean aligned) {
        long l = addr(c, 16, false, aligned);
        long lo = c.read(l, 3);
        c.fpu.scratch[1] = c.read(next(c, l), 3);
        return lo;
    }

    /** Writes the 128-bit memory operand (both halves checked for writability first). */
    protected final void store128(Cpu c, long lo, long hi, boolean aligned) {
        long l = addr(c, 16, true, aligned);
        long h = next(c, l);
        c.probeWrite(l, 3);
        c.probeWrite(h, 3);
        c.write(l, 3, lo);
        c.write(h, 3, hi);
    }

    /** Reads {@code 1 << s} bytes (s = 2 or 3) of the memory operand. */
    protected final long load(Cpu c, int s) {
        return c.read(lin(c, 1 << s, false), s);
    }

    /** Writes {@code 1 << s} bytes of the memory operand. */
    protected final void store(Cpu c, int s, long v) {
        c.write(lin(c, 1 << s, true), s, v);
    }

    /**
     * The E operand as 128 bits: the XMM register, or memory (aligned as asked); the high half goes to
     * {@code scratch[1]}.
     */
    protected final long srcX(Cpu c, boolean aligned) {
        if (isReg) {
            c.fpu.scratch[1] = c.fpu.xmm[2 * xm + 1];
            return c.fpu.xmm[2 * xm];
        }
        return load128(c, aligned);
    }

    /** The E operand's low 64 bits: the XMM register's low half or 8 bytes of memory. */
    protected final long srcX64(Cpu c) {
        return isReg ? c.fpu.xmm[2 * xm] : load(c, 3);
    }

    /** The E operand's low 32 bits: the XMM register's low dword or 4 bytes of memory. */
    protected final long srcX32(Cpu c) {
        return isReg ? c.fpu.xmm[2 * xm] & 0xffffffffL : load(c, 2);
    }

    /** The E operand as an MMX register or 64 bits of memory. */
    protected final long srcM(Cpu c) {
        return isReg ? c.fpu.st[xm & 7] : load(c, 3);
    }
}
