package org.jkvm.softcpu.mem;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.Vec;

/**
 * Linear to guest-physical translation (Intel SDM vol. 3, chapter 4): no paging, 32-bit paging (with PSE 4 MiB
 * pages and PSE-36), PAE paging and 4-level paging (2 MiB and 1 GiB pages), with the R/W, U/S, NX and CR0.WP
 * rules, reserved-bit checks and accessed/dirty updates (atomic, marked dirty like any guest write). A/D bits are
 * set only when the translation succeeds. After {@link #translate} the {@code last*} fields describe the page.
 */
public final class PageWalker {
    private static final long PTE_P = 1;
    private static final long PTE_RW = 2;
    private static final long PTE_US = 4;
    private static final long PTE_A = 0x20;
    private static final long PTE_D = 0x40;
    private static final long PTE_PS = 0x80;
    private static final long PTE_G = 0x100;
    private static final long CR0_WP = 1L << 16;
    private static final long CR4_PSE = 1L << 4;
    private static final long CR4_PGE = 1L << 7;
    private static final long EFER_NXE = 1L << 11;

    private final Cpu c;
    /** Physical address bits (CPUID 0x80000008 EAX[7:0]); entries with bits above it set are reserved. */
    public int maxPhysBits = 40;

    public boolean lastWritable;
    public boolean lastExec;
    public boolean lastDirty;
    public boolean lastGlobal;
    /** 0 = 4 KiB, 1 = 2 MiB, 2 = 4 MiB, 3 = 1 GiB. */
    public int lastSizeClass;
    /** Page walks (translations) made so far: statistics, read by tests of the TLB's shortcuts. */
    public long walks;

    private final long[] entryGpa = new long[4];
    private final long[] entryVal = new long[4];
    private int entries;

    PageWalker(Cpu c) {
        this.c = c;
    }

    /**
     * The guest-physical address of {@code lin}.
     *
     * @param access {@link Mmu#READ}, {@link Mmu#WRITE} or {@link Mmu#EXEC}
     * @param user   a user-mode (CPL 3) access
     * @throws org.jkvm.softcpu.cpu.GuestFault #PF (CR2 in its address) or #GP for a non-canonical address
     */
    public long translate(long lin, int access, boolean user) {
        walks++;
        switch (c.pagingMode) {
            case 0:
                lastWritable = true;
                lastExec = true;
                lastDirty = true;
                lastGlobal = false;
                lastSizeClass = 0;
                return c.longMode ? lin : lin & 0xffffffffL;
            case 1:
                return walk32(lin & 0xffffffffL, access, user);
            default:
                return walkLong(lin, access, user);
        }
    }

    private long physMask() {
        return ((1L << maxPhysBits) - 1) & ~0xfffL;
    }

    private long walk32(long lin, int access, boolean user) {
        entries = 0;
        long pdeGpa = (c.cr3 & 0xfffff000L) + ((lin >>> 22) << 2);
        long pde = c.mmu.readPhys(pdeGpa, 4);
        record(pdeGpa, pde);
        if ((pde & PTE_P) == 0) {
            throw pageFault(lin, access, user, false, false);
        }
        if ((pde & PTE_PS) != 0 && (c.cr4 & CR4_PSE) != 0) {
            long high = ((pde >>> 13) & 0xff) << 32;
            if ((pde & (1L << 21)) != 0 || (high & ~physMask()) != 0) {
                throw pageFault(lin, access, user, true, false);
            }
            long base = (pde & 0xffc00000L) | high;
            return finish(lin, access, user, pde, pde, false, base | (lin & 0x3fffff), 2);
        }
        long pteGpa = (pde & 0xfffff000L) + (((lin >>> 12) & 0x3ff) << 2);
        long pte = c.mmu.readPhys(pteGpa, 4);
        record(pteGpa, pte);
        if ((pte & PTE_P) == 0) {
            throw pageFault(lin, access, user, false, false);
        }
        return finish(lin, access, user, pde & pte, pte, false, (pte & 0xfffff000L) | (lin & 0xfff), 0);
    }

    private long walkLong(long lin, int access, boolean user) {
        entries = 0;
        boolean nxe = (c.efer & EFER_NXE) != 0;
        long rsvdHigh = ~((1L << maxPhysBits) - 1) & (nxe ? 0x7fffffffffffffffL : -1L);
        long allow = PTE_RW | PTE_US;
        boolean nx = false;
        long table;
        int shift;
        if (c.pagingMode == 3) {
            if (((lin << 16) >> 16) != lin) {
                throw c.fault(Vec.GP, 0);
            }
            table = c.cr3 & physMask();
            shift = 39;
        } else {
            lin &= 0xffffffffL;
            long pdpteGpa = (c.cr3 & 0xffffffe0L) + ((lin >>> 30) << 3);
            long pdpte = c.mmu.readPhys(pdpteGpa, 8);
            if ((pdpte & PTE_P) == 0) {
                throw pageFault(lin, access, user, false, false);
            }
            if ((pdpte & (rsvdHigh | 0x1e6L) & ~0x8000000000000000L) != 0 || pdpte < 0) {
                throw pageFault(lin, access, user, true, false);
            }
            table = pdpte & physMask();
            shift = 21;
        }
        for (;;) {
            long gpa = table + (((lin >>> shift) & 511) << 3);
            long e = c.mmu.readPhys(gpa, 8);
            record(gpa, e);
            if ((e & PTE_P) == 0) {
                throw pageFault(lin, access, user, false, nxe);
            }
            boolean leaf = shift == 12 || (e & PTE_PS) != 0;
            long rsvd = rsvdHigh;
            if (leaf && shift > 12) {
                rsvd |= ((1L << shift) - 1) & ~0x1fffL;
            }
            if ((e & rsvd) != 0 || (shift == 39 && (e & PTE_PS) != 0)) {
                throw pageFault(lin, access, user, true, nxe);
            }
            allow &= e;
            nx |= nxe && e < 0;
            if (leaf) {
                long base = e & physMask() & ~((1L << shift) - 1);
                int cls = shift == 12 ? 0 : shift == 21 ? 1 : 3;
                return finish(lin, access, user, allow | PTE_P, e, nx, base | (lin & ((1L << shift) - 1)), cls);
            }
            table = e & physMask();
            shift -= 9;
        }
    }

    private void record(long gpa, long val) {
        entryGpa[entries] = gpa;
        entryVal[entries++] = val;
    }

    /** Permission checks, A/D updates and the {@code last*} description of a successful walk. */
    private long finish(long lin, int access, boolean user, long allow, long leaf, boolean nx, long gpa, int cls) {
        boolean rw = (allow & PTE_RW) != 0;
        boolean us = (allow & PTE_US) != 0;
        boolean wp = (c.cr0 & CR0_WP) != 0;
        boolean nxe = c.pagingMode >= 2 && (c.efer & EFER_NXE) != 0;
        boolean writable = user ? rw && us : rw || !wp;
        boolean exec = !nx && (!user || us);
        if ((user && !us) || (access == Mmu.WRITE && !writable) || (access == Mmu.EXEC && !exec)) {
            throw pageFault(lin, access, user, false, nxe, true);
        }
        boolean entry8 = c.pagingMode >= 2;
        for (int k = 0; k < entries; k++) {
            long want = entryVal[k] | PTE_A;
            if (k == entries - 1 && access == Mmu.WRITE) {
                want |= PTE_D;
            }
            if (want != entryVal[k] && !c.mmu.casPhys(entryGpa[k], entry8 ? 8 : 4, entryVal[k], want)) {
                return translate(lin, access, user);   // another vCPU changed the entry: walk again
            }
        }
        lastWritable = writable;
        lastExec = exec;
        lastDirty = (leaf & PTE_D) != 0 || access == Mmu.WRITE;
        lastGlobal = (leaf & PTE_G) != 0 && (c.cr4 & CR4_PGE) != 0;
        lastSizeClass = cls;
        return gpa;
    }

    private RuntimeException pageFault(long lin, int access, boolean user, boolean rsvd, boolean nxe) {
        return pageFault(lin, access, user, rsvd, nxe, rsvd);
    }

    private RuntimeException pageFault(long lin, int access, boolean user, boolean rsvd, boolean nxe,
                                       boolean present) {
        int code = (present ? 1 : 0) | (access == Mmu.WRITE ? 2 : 0) | (user ? 4 : 0) | (rsvd ? 8 : 0)
                | (access == Mmu.EXEC && nxe ? 16 : 0);
        org.jkvm.softcpu.cpu.GuestFault f = c.fault(Vec.PF, code);
        f.address = lin;
        return f;
    }
}
