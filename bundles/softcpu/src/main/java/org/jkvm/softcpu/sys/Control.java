package org.jkvm.softcpu.sys;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.Vec;

/**
 * Writes of CR0, CR3, CR4, CR8 and EFER with their checks (#GP for reserved bits and forbidden combinations,
 * Intel SDM vol. 3, 2.5 and 9.8.5), long-mode activation, and the TLB flushes they imply.
 */
public final class Control {
    public static final long CR0_PE = 1;
    public static final long CR0_MP = 1 << 1;
    public static final long CR0_EM = 1 << 2;
    public static final long CR0_TS = 1 << 3;
    public static final long CR0_ET = 1 << 4;
    public static final long CR0_NE = 1 << 5;
    public static final long CR0_WP = 1 << 16;
    public static final long CR0_AM = 1 << 18;
    public static final long CR0_NW = 1L << 29;
    public static final long CR0_CD = 1L << 30;
    public static final long CR0_PG = 1L << 31;
    public static final long CR0_VALID = CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM
            | CR0_NW | CR0_CD | CR0_PG;
    public static final long CR4_PSE = 1 << 4;
    public static final long CR4_PAE = 1 << 5;
    public static final long CR4_PGE = 1 << 7;
    public static final long CR4_OSFXSR = 1 << 9;
    public static final long CR4_OSXMMEXCPT = 1 << 10;
    /** CR4.OSXSAVE: refused (#GP) unless CPUID advertises XSAVE, as on hardware. */
    public static final long CR4_OSXSAVE = 1L << 18;
    /** CR4 bits this CPU accepts: VME PVI TSD DE PSE PAE MCE PGE PCE OSFXSR OSXMMEXCPT FSGSBASE OSXSAVE. */
    public static final long CR4_VALID = 0x7ffL | 1L << 16 | 1L << 18;
    public static final long EFER_SCE = 1;
    public static final long EFER_LME = 1 << 8;
    public static final long EFER_LMA = 1 << 10;
    public static final long EFER_NXE = 1 << 11;
    public static final long EFER_VALID = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;

    private Control() {
    }

    /** MOV CR0 (and LMSW, CLTS through it). */
    public static void writeCr0(Cpu c, long v) {
        if (c.longMode || c.code64) {
            if ((v >>> 32) != 0) {
                throw c.fault(Vec.GP, 0);
            }
        }
        v &= 0xffffffffL;
        if ((v & ~CR0_VALID) != 0 || ((v & CR0_PG) != 0 && (v & CR0_PE) == 0)
                || ((v & CR0_NW) != 0 && (v & CR0_CD) == 0)) {
            throw c.fault(Vec.GP, 0);
        }
        v |= CR0_ET;
        long old = c.cr0;
        boolean pgOn = (v & CR0_PG) != 0 && (old & CR0_PG) == 0;
        boolean pgOff = (v & CR0_PG) == 0 && (old & CR0_PG) != 0;
        if (pgOn && (c.efer & EFER_LME) != 0) {
            if ((c.cr4 & CR4_PAE) == 0) {
                throw c.fault(Vec.GP, 0);
            }
            c.efer |= EFER_LMA;
        }
        if (pgOff && c.longMode) {
            if (c.code64) {
                throw c.fault(Vec.GP, 0);
            }
            c.efer &= ~EFER_LMA;
        }
        c.cr0 = v;
        if (((old ^ v) & (CR0_PG | CR0_WP | CR0_PE)) != 0) {
            c.mmu.flushAll();
        }
        Modes.update(c);
    }

    /** MOV CR3. */
    public static void writeCr3(Cpu c, long v) {
        if (c.longMode && (v >>> c.mmu.walker.maxPhysBits) != 0) {
            throw c.fault(Vec.GP, 0);
        }
        c.cr3 = c.longMode ? v : v & 0xffffffffL;
        if ((c.cr4 & CR4_PGE) != 0) {
            c.mmu.flushNonGlobal();
        } else {
            c.mmu.flushAll();
        }
    }

    /** MOV CR4. */
    public static void writeCr4(Cpu c, long v) {
        if ((v & ~CR4_VALID) != 0 || (c.longMode && (v & CR4_PAE) == 0)
                || ((v & CR4_OSXSAVE) != 0 && !c.cpuid.has(1, 2, 26))) {
            throw c.fault(Vec.GP, 0);
        }
        long old = c.cr4;
        c.cr4 = v;
        if (((old ^ v) & (CR4_PSE | CR4_PAE | CR4_PGE)) != 0) {
            c.mmu.flushAll();
        }
        Modes.update(c);
    }

    /** WRMSR IA32_EFER. */
    public static void writeEfer(Cpu c, long v) {
        if ((v & ~EFER_VALID) != 0) {
            throw c.fault(Vec.GP, 0);
        }
        if ((c.cr0 & CR0_PG) != 0 && ((v ^ c.efer) & EFER_LME) != 0) {
            throw c.fault(Vec.GP, 0);
        }
        long old = c.efer;
        c.efer = (v & ~EFER_LMA) | (old & EFER_LMA);
        if (((old ^ c.efer) & EFER_NXE) != 0) {
            c.mmu.flushAll();
        }
        Modes.update(c);
    }

    /** Reads control register {@code n} (0, 2, 3, 4, 8). */
    public static long readCr(Cpu c, int n) {
        switch (n) {
            case 0: return c.cr0;
            case 2: return c.cr2;
            case 3: return c.cr3;
            case 4: return c.cr4;
            default: return c.intc != null ? c.intc.readCr8() : c.cr8;
        }
    }

    /** Writes control register {@code n}; #UD for registers that do not exist is the decoder's job. */
    public static void writeCr(Cpu c, int n, long v) {
        switch (n) {
            case 0: writeCr0(c, v); break;
            case 2: c.cr2 = v; break;
            case 3: writeCr3(c, v); break;
            case 4: writeCr4(c, v); break;
            default:
                if ((v & ~0xfL) != 0) {
                    throw c.fault(Vec.GP, 0);
                }
                c.cr8 = v;
                if (c.intc != null) {
                    // CR8 is the local APIC's TPR[7:4] (SDM vol. 3, 10.8.6.1).
                    c.intc.writeCr8(v);
                }
        }
    }
}
