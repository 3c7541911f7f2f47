package org.jkvm.softcpu.sys;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.FlagState;

/**
 * Derived mode state: after any change of CR0, CR4, EFER, RFLAGS.VM or a segment register, {@link #update}
 * recomputes the CPU's mode flags, decode mode, stack width, paging mode, effective segment bases and the
 * legacy-mode segment checks, so the hot paths only read precomputed fields.
 */
public final class Modes {
    public static final long CR0_PE = 1;
    public static final long CR0_PG = 1L << 31;
    public static final long CR4_PAE = 1L << 5;
    public static final long EFER_LMA = 1L << 10;
    public static final int AR_UNUSABLE = 1 << 16;
    public static final int AR_L = 1 << 13;
    public static final int AR_DB = 1 << 14;

    private Modes() {
    }

    /** Recomputes every derived field. */
    public static void update(Cpu c) {
        c.protectedMode = (c.cr0 & CR0_PE) != 0;
        c.longMode = (c.efer & EFER_LMA) != 0;
        c.vm86 = c.protectedMode && !c.longMode && (c.flags & FlagState.VM) != 0;
        int csAr = c.segAr[Cpu.CS];
        c.code64 = c.longMode && (csAr & AR_L) != 0;
        if (c.code64) {
            c.decodeMode = 2;
        } else if (c.protectedMode && !c.vm86 && (csAr & AR_DB) != 0) {
            c.decodeMode = 1;
        } else {
            c.decodeMode = 0;
        }
        if (c.code64) {
            c.spMask = -1L;
        } else if (c.protectedMode && !c.vm86 && (c.segAr[Cpu.SS] & AR_DB) != 0) {
            c.spMask = 0xffffffffL;
        } else {
            c.spMask = 0xffffL;
        }
        if ((c.cr0 & CR0_PG) == 0 || !c.protectedMode) {
            c.pagingMode = 0;
        } else if (c.longMode) {
            c.pagingMode = 3;
        } else if ((c.cr4 & CR4_PAE) != 0) {
            c.pagingMode = 2;
        } else {
            c.pagingMode = 1;
        }
        for (int s = 0; s < 6; s++) {
            segDerived(c, s);
        }
    }

    /** Recomputes the effective base and the legacy checks of segment register {@code s}. */
    public static void segDerived(Cpu c, int s) {
        c.base[s] = c.code64 && s < Cpu.FS ? 0 : c.segBase[s];
        int ar = c.segAr[s];
        long limit = c.segLimit[s];
        if (!c.protectedMode || c.vm86) {
            c.segLo[s] = 0;
            c.segHi[s] = limit;
            c.segRw[s] = 3;
            return;
        }
        if ((ar & AR_UNUSABLE) != 0) {
            c.segLo[s] = 1;
            c.segHi[s] = 0;
            c.segRw[s] = 0;
            return;
        }
        int type = ar & 15;
        if ((type & 8) != 0) {
            c.segLo[s] = 0;
            c.segHi[s] = limit;
            c.segRw[s] = (type & 2) != 0 ? 1 : 0;
        } else {
            if ((type & 4) != 0) {
                c.segLo[s] = limit + 1;
                c.segHi[s] = (ar & AR_DB) != 0 ? 0xffffffffL : 0xffffL;
            } else {
                c.segLo[s] = 0;
                c.segHi[s] = limit;
            }
            c.segRw[s] = (type & 2) != 0 ? 3 : 1;
        }
    }

    /** Loads segment register {@code s}'s visible and hidden parts. */
    public static void setSeg(Cpu c, int s, int sel, long base, long limit, int ar) {
        c.segSel[s] = sel;
        c.segBase[s] = base;
        c.segLimit[s] = limit & 0xffffffffL;
        c.segAr[s] = ar;
        if (s == Cpu.CS || s == Cpu.SS) {
            update(c);
        } else if (s < 6) {
            segDerived(c, s);
        }
    }

    /** A real-mode (or virtual-8086) segment load: base = selector * 16, the rest of the cache kept. */
    public static void setRealSeg(Cpu c, int s, int sel) {
        int ar = c.segAr[s];
        if (c.vm86) {
            ar = 0xf3;
            c.segLimit[s] = 0xffff;
        }
        setSeg(c, s, sel & 0xffff, (long) (sel & 0xffff) << 4, c.segLimit[s], ar & ~AR_UNUSABLE);
    }

    /** Sets the CPL, flushing the TLB when it crosses between supervisor and user. */
    public static void setCpl(Cpu c, int cpl) {
        if ((cpl == 3) != (c.cpl == 3)) {
            c.mmu.flushAll();
        }
        c.cpl = cpl;
    }
}
