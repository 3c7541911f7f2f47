package org.jkvm.softcpu.mem;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;

import org.jkvm.memory.GuestMemory;
import org.jkvm.memory.MemoryRegion;

/**
 * The guest-physical address space of one VM as the software CPU sees it: the RAM regions (host addresses for
 * {@link Host}), the dirty log of guest writes, and which pages hold decoded code. Everything else is MMIO.
 *
 * <h2>Dirty log protocol (exact, race-free)</h2>
 * Each region has an epoch counter and two bitmaps. A vCPU marks page p of region r in bitmap
 * {@code epochSeen[r] & 1}, where {@code epochSeen} is the vCPU's copy of the epochs taken at its last
 * acknowledgement. {@link #beginFetch} bumps the region's epoch and the VM-wide generation; the fetcher then waits
 * until every vCPU inside {@code run()} has acknowledged that generation (at its next block boundary, after
 * dropping every writable TLB entry) or has left {@code run()}; then the old epoch's bitmap can only hold marks of
 * writes that completed, and nobody marks it any more, so {@link #drain} hands out exactly those pages. A writable
 * TLB entry exists only for a page already marked in the vCPU's current epoch, so the fast store path costs one
 * tag compare.
 *
 * <p>Thread-safety: marks and code bits are atomic (VarHandle OR); epochs are volatile; fetches are serialised by
 * the VM.
 */
public final class PhysMemory {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);

    private final MemoryRegion[] regions;
    private final long[] gpa;
    private final long[] size;
    private final long[] hva;
    /** dirty[r][e] = bitmap of epoch parity e of region r. */
    private final long[][][] dirty;
    /** Per region: the current epoch (volatile access through INTS). */
    private final int[] epochs;
    /** Per region: pages holding decoded code (any vCPU). */
    private final long[][] code;
    /** Bumped by every dirty-log fetch; vCPUs acknowledge it. */
    private volatile int generation;

    /** Maps the regions of {@code memory}; the memory must outlive this object. */
    public PhysMemory(GuestMemory memory) {
        List<MemoryRegion> list = memory.regions();
        int n = list.size();
        regions = list.toArray(new MemoryRegion[0]);
        gpa = new long[n];
        size = new long[n];
        hva = new long[n];
        dirty = new long[n][2][];
        code = new long[n][];
        epochs = new int[n];
        for (int i = 0; i < n; i++) {
            MemoryRegion r = regions[i];
            gpa[i] = r.gpa();
            size[i] = r.sizeBytes();
            hva[i] = r.hva();
            int words = (int) ((r.pages() + 63) / 64);
            dirty[i][0] = new long[words];
            dirty[i][1] = new long[words];
            code[i] = new long[words];
        }
    }

    /** Number of RAM regions. */
    public int regionCount() {
        return regions.length;
    }

    /** The index of {@code region} among the VM's regions, or -1. */
    public int indexOf(MemoryRegion region) {
        for (int i = 0; i < regions.length; i++) {
            if (regions[i] == region || (gpa[i] == region.gpa() && size[i] == region.sizeBytes())) {
                return i;
            }
        }
        return -1;
    }

    /** The region index holding guest-physical {@code pa}, or -1 (MMIO). */
    public int region(long pa) {
        for (int i = 0; i < gpa.length; i++) {
            if (pa - gpa[i] >= 0 && pa - gpa[i] < size[i]) {
                return i;
            }
        }
        return -1;
    }

    /** The host address of guest-physical {@code pa} in region {@code r}. */
    public long host(int r, long pa) {
        return hva[r] + (pa - gpa[r]);
    }

    /** The page number of {@code pa} inside region {@code r}. */
    public long page(int r, long pa) {
        return (pa - gpa[r]) >>> 12;
    }

    // ---- dirty log -------------------------------------------------------------------------------------------

    /** The VM-wide fetch generation (volatile read). */
    public int generation() {
        return generation;
    }

    /** The current epoch of region {@code r} (volatile read). */
    public int epoch(int r) {
        return (int) INTS.getVolatile(epochs, r);
    }

    /** Marks page {@code page} of region {@code r} in the bitmap of epoch {@code epoch}. */
    public void markDirty(int r, long page, int epoch) {
        long[] bits = dirty[r][epoch & 1];
        int w = (int) (page >>> 6);
        long bit = 1L << page;
        if ((bits[w] & bit) == 0) {
            LONGS.getAndBitwiseOr(bits, w, bit);
        }
    }

    /** Whether page {@code page} of region {@code r} is already marked in epoch {@code epoch}. */
    public boolean isMarked(int r, long page, int epoch) {
        return (dirty[r][epoch & 1][(int) (page >>> 6)] & (1L << page)) != 0;
    }

    /** Starts a fetch of region {@code r}: bumps its epoch and the generation; returns the old epoch. */
    public int beginFetch(int r) {
        int old = (int) INTS.getVolatile(epochs, r);
        INTS.setVolatile(epochs, r, old + 1);
        generation = generation + 1;
        return old;
    }

    /** Moves the marks of {@code epoch} of region {@code r} into {@code out} (overwriting), clearing them. */
    public void drain(int r, int epoch, long[] out) {
        long[] bits = dirty[r][epoch & 1];
        for (int w = 0; w < bits.length; w++) {
            out[w] = (long) LONGS.getAndSet(bits, w, 0L);
        }
        for (int w = bits.length; w < out.length; w++) {
            out[w] = 0;
        }
    }

    /** Number of bitmap words of region {@code r}. */
    public int words(int r) {
        return dirty[r][0].length;
    }

    // ---- code pages ------------------------------------------------------------------------------------------

    /** Whether page {@code page} of region {@code r} holds decoded code. */
    public boolean isCode(int r, long page) {
        return (code[r][(int) (page >>> 6)] & (1L << page)) != 0;
    }

    /** Marks a page as holding decoded code; returns true if it was not marked before. */
    public boolean markCode(int r, long page) {
        long bit = 1L << page;
        long old = (long) LONGS.getAndBitwiseOr(code[r], (int) (page >>> 6), bit);
        return (old & bit) == 0;
    }

    /** Clears the code mark of a page; returns true if it was marked. */
    public boolean clearCode(int r, long page) {
        long bit = 1L << page;
        long old = (long) LONGS.getAndBitwiseAnd(code[r], (int) (page >>> 6), ~bit);
        return (old & bit) != 0;
    }

    /** Clears every code mark (all decoded code was dropped). */
    public void clearAllCode() {
        for (long[] c : code) {
            for (int w = 0; w < c.length; w++) {
                LONGS.setVolatile(c, w, 0L);
            }
        }
    }
}
