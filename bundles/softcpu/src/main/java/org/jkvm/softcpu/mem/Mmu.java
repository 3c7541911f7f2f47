package org.jkvm.softcpu.mem;

import java.util.Arrays;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.Vec;

/**
 * The slow memory path of one vCPU: TLB fills through {@link PageWalker}, page-crossing and MMIO accesses, dirty
 * marking, self-modifying-code detection, TLB flushes. The fast path (a TLB hit inside one page) is in
 * {@link Cpu#read}/{@link Cpu#write}.
 */
public final class Mmu {
    public static final int READ = 0;
    public static final int WRITE = 1;
    public static final int EXEC = 2;
    /** tlbFlags bit: the page is writable at this privilege and its PTE dirty bit is set. */
    static final int WRITABLE_DIRTY = 8;

    private final Cpu c;
    private final PhysMemory phys;
    /**
     * TLB entries made from large pages, by (size class, large page number): a 1024-bit set of TLB indexes, so that
     * INVLPG drops exactly the entries of the large page holding its address without scanning the TLB.
     */
    private final LongMap<long[]> large = new LongMap<>();
    public final PageWalker walker;
    /** Called when a guest write hits a page holding decoded code. */
    public CodeInvalidator code;

    /** Drops decoded code of a guest-physical page. */
    public interface CodeInvalidator {
        /** {@link #write} result bit: the page still holds decoded code. */
        int STILL_CODE = 1;
        /** {@link #write} result bit: decoded code was dropped. */
        int INVALIDATED = 2;

        /** Drops all decoded code of the 4 KiB page at guest-physical {@code gpaPage}. */
        void invalidatePage(long gpaPage);

        /** A write of {@code n} bytes at offset {@code off} of a code page: drops the code it overwrites. */
        int write(long gpaPage, int off, int n);

        /** The 64-byte chunks of {@code gpaPage} holding decoded code (bit k = bytes 64k..64k+63). */
        long chunks(long gpaPage);
    }

    /** The chunk bits an access of {@code n} bytes at page offset {@code off} touches. */
    public static long chunkMask(int off, int n) {
        int first = off >> 6;
        int last = Math.min(off + n - 1, 4095) >> 6;
        long hi = last == 63 ? -1L : (1L << (last + 1)) - 1;
        return hi & (-1L << first);
    }

    public Mmu(Cpu c) {
        this.c = c;
        this.phys = c.phys;
        this.walker = new PageWalker(c);
    }

    // ---- TLB maintenance -------------------------------------------------------------------------------------

    /** Empties the TLB. */
    public void flushAll() {
        Arrays.fill(c.tlbRead, -1L);
        Arrays.fill(c.tlbWrite, -1L);
        Arrays.fill(c.tlbWriteCode, -1L);
        Arrays.fill(c.tlbExec, -1L);
        Arrays.fill(c.tlbFlags, (byte) 0);
        c.tlbLargeEntries = 0;
        large.clear();
    }

    /** Drops every entry except global pages (a CR3 write with CR4.PGE). */
    public void flushNonGlobal() {
        for (int i = 0; i < Cpu.TLB_SIZE; i++) {
            if ((c.tlbFlags[i] & 1) == 0) {
                drop(i);
            }
        }
    }

    /** Drops every writable entry (a new dirty epoch, or a page became a code page on another vCPU). */
    public void flushWrites() {
        Arrays.fill(c.tlbWrite, -1L);
        Arrays.fill(c.tlbWriteCode, -1L);
    }

    /** Drops write entries that map guest-physical page {@code gpaPage} (it now holds decoded code). */
    public void flushWritesTo(long gpaPage) {
        for (int i = 0; i < Cpu.TLB_SIZE; i++) {
            if (c.tlbPhys[i] == gpaPage) {
                c.tlbWriteCode[i] = -1L;
                c.tlbWrite[i] = -1L;
            }
        }
    }

    /** INVLPG: drops the translation of {@code lin}, including every entry of a large page holding it. */
    public void flushPage(long lin) {
        long vpn = lin >>> 12;
        drop((int) vpn & Cpu.TLB_MASK);
        if (c.tlbLargeEntries > 0) {
            for (int cls = 1; cls <= 3; cls++) {
                long[] set = large.get(largeKey(cls, vpn));
                if (set != null) {
                    for (int w = 0; w < set.length; w++) {
                        long bits = set[w];
                        while (bits != 0) {
                            int b = Long.numberOfTrailingZeros(bits);
                            bits &= bits - 1;
                            drop(w * 64 + b);
                        }
                    }
                }
            }
        }
    }

    private static int largeShift(int cls) {
        return cls == 1 ? 9 : cls == 2 ? 10 : 18;
    }

    private static long largeKey(int cls, long vpn) {
        return (long) cls << 60 | vpn >>> largeShift(cls);
    }

    private void drop(int i) {
        int cls = (c.tlbFlags[i] >> 1) & 3;
        if (cls != 0) {
            c.tlbLargeEntries--;
            long key = largeKey(cls, c.tlbRead[i]);
            long[] set = large.get(key);
            if (set != null) {
                set[i >> 6] &= ~(1L << i);
                if (isEmpty(set)) {
                    large.remove(key);
                }
            }
        }
        c.tlbRead[i] = -1L;
        c.tlbWrite[i] = -1L;
        c.tlbWriteCode[i] = -1L;
        c.tlbExec[i] = -1L;
        c.tlbFlags[i] = 0;
    }

    private static boolean isEmpty(long[] set) {
        for (long w : set) {
            if (w != 0) {
                return false;
            }
        }
        return true;
    }

    // ---- fills -----------------------------------------------------------------------------------------------

    /**
     * Translates {@code lin} for {@code access} at the current privilege, fills the TLB entry when the page is
     * RAM, performs the write-side bookkeeping (dirty mark, code invalidation) for writes, and returns the host
     * address of {@code lin}, or -1 when it is MMIO (then {@link #lastGpa} holds the guest-physical address).
     */
    public long hostFor(long lin, int access) {
        long gpa = walker.translate(lin, access, c.cpl == 3);
        lastGpa = gpa;
        int r = phys.region(gpa);
        if (r < 0) {
            return -1;
        }
        long pageGpa = gpa & ~0xfffL;
        long page = phys.page(r, gpa);
        long vpn = lin >>> 12;
        int i = (int) vpn & Cpu.TLB_MASK;
        drop(i);
        c.tlbHost[i] = phys.host(r, pageGpa);
        c.tlbPhys[i] = pageGpa;
        c.tlbRead[i] = vpn;
        if (walker.lastExec) {
            c.tlbExec[i] = vpn;
        }
        int epoch = c.epochSeen[r];
        boolean code = false;
        if (access == WRITE) {
            phys.markDirty(r, page, epoch);
            code = phys.isCode(r, page) && codeWrite(r, page, pageGpa, (int) (lin & 0xfff), writeSize);
        } else {
            code = phys.isCode(r, page);
        }
        if (walker.lastWritable && walker.lastDirty && phys.isMarked(r, page, epoch)) {
            if (code) {
                c.tlbWriteCode[i] = vpn;
                c.tlbCodeChunks[i] = this.code.chunks(pageGpa);
            } else {
                c.tlbWrite[i] = vpn;
            }
        }
        int flags = (walker.lastGlobal ? 1 : 0) | walker.lastSizeClass << 1
                | (walker.lastWritable && walker.lastDirty ? WRITABLE_DIRTY : 0);
        c.tlbFlags[i] = (byte) flags;
        if (walker.lastSizeClass != 0) {
            c.tlbLargeEntries++;
            long key = largeKey(walker.lastSizeClass, vpn);
            long[] set = large.get(key);
            if (set == null) {
                set = new long[Cpu.TLB_SIZE / 64];
                large.put(key, set);
            }
            set[i >> 6] |= 1L << i;
        }
        return c.tlbHost[i] + (lin & 0xfff);
    }

    /** The guest-physical address of the last {@link #hostFor} call. */
    public long lastGpa;

    /** Size of the write in progress through {@link #hostFor} (for code-chunk checks). */
    private int writeSize = 1;

    /** A write to a code page: drops overwritten code; returns whether the page still holds code. */
    private boolean codeWrite(int r, long page, long pageGpa, int off, int n) {
        int res = code.write(pageGpa, off, n);
        if ((res & CodeInvalidator.INVALIDATED) != 0) {
            c.stopBlock = true;
        }
        if ((res & CodeInvalidator.STILL_CODE) == 0) {
            phys.clearCode(r, page);
            return false;
        }
        return true;
    }

    // ---- slow reads and writes -------------------------------------------------------------------------------

    /** A read that missed the TLB, crosses a page or is MMIO. */
    public long readSlow(long lin, int s) {
        int n = 1 << s;
        if ((lin & 0xfff) > 4096 - n) {
            // Byte by byte through the TLB: each page is walked (and its entry filled) at most once.
            long v = 0;
            for (int k = 0; k < n; k++) {
                v |= c.read(lin + k, 0) << (8 * k);
            }
            return v;
        }
        long a = hostFor(lin, READ);
        if (a >= 0) {
            return Host.get(a, n);
        }
        return mmioRead(lastGpa, n);
    }

    /** A write that missed the TLB, crosses a page, is MMIO or hits a page needing bookkeeping. */
    public void writeSlow(long lin, int s, long v) {
        int n = 1 << s;
        if ((lin & 0xfff) > 4096 - n) {
            probeWriteSlow(lin, s);
            for (int k = 0; k < n; k++) {
                c.write(lin + k, 0, v >>> (8 * k));
            }
            return;
        }
        long vpn = lin >>> 12;
        int i = (int) vpn & Cpu.TLB_MASK;
        if (c.tlbWriteCode[i] == vpn) {
            // A writable page that holds decoded code: a store beside the code goes straight to RAM ...
            if ((c.tlbCodeChunks[i] & chunkMask((int) (lin & 0xfff), n)) == 0) {
                Host.put(c.tlbHost[i] + (lin & 0xfff), n, v);
                return;
            }
            // ... one onto it drops the code it overwrites first.
            int r = phys.region(c.tlbPhys[i]);
            if (!codeWrite(r, phys.page(r, c.tlbPhys[i]), c.tlbPhys[i], (int) (lin & 0xfff), n)) {
                c.tlbWriteCode[i] = -1L;
                c.tlbWrite[i] = vpn;
            } else {
                c.tlbCodeChunks[i] = code.chunks(c.tlbPhys[i]);
            }
            Host.put(c.tlbHost[i] + (lin & 0xfff), n, v);
            return;
        }
        if (c.tlbRead[i] == vpn && (c.tlbFlags[i] & WRITABLE_DIRTY) != 0 && rearm(i, vpn)) {
            // The translation is cached and writable: only the dirty epoch (or code) took the write tag away.
            if (c.tlbWrite[i] == vpn) {
                Host.put(c.tlbHost[i] + (lin & 0xfff), n, v);
            } else {
                writeSlow(lin, s, v);   // now a write-code tag: the branch above
            }
            return;
        }
        writeSize = n;
        long a = hostFor(lin, WRITE);
        writeSize = 1;
        if (a >= 0) {
            Host.put(a, n, v);
        } else {
            mmioWrite(lastGpa, n, v);
        }
    }

    /**
     * Re-arms the write tag of TLB slot {@code i} without a page walk: marks the page in the current dirty epoch
     * and gives it the write (or, for a code page, write-code) tag. False when the page is not RAM.
     */
    private boolean rearm(int i, long vpn) {
        long pageGpa = c.tlbPhys[i];
        int r = phys.region(pageGpa);
        if (r < 0) {
            return false;
        }
        long page = phys.page(r, pageGpa);
        phys.markDirty(r, page, c.epochSeen[r]);
        if (phys.isCode(r, page)) {
            c.tlbWriteCode[i] = vpn;
            c.tlbCodeChunks[i] = code.chunks(pageGpa);
        } else {
            c.tlbWrite[i] = vpn;
        }
        return true;
    }

    /**
     * Translates both pages of an access for writing, so that a fault comes before any byte is written. A fault on
     * the second page reports that page's first byte in CR2, as the host CPU does (not the access's last byte).
     */
    public void probeWriteSlow(long lin, int s) {
        int n = 1 << s;
        if ((lin & 0xfff) > 4096 - n) {
            // A value straddling two pages: walk only a page whose write permission is not cached (a packed
            // field across a page boundary, updated in a loop, walked both pages on every access).
            if (!writableCached(lin)) {
                walker.translate(lin, WRITE, c.cpl == 3);
            }
            long next = (lin | 0xfff) + 1;
            if (!writableCached(next)) {
                walker.translate(next, WRITE, c.cpl == 3);
            }
            return;
        }
        long vpn = lin >>> 12;
        int i = (int) vpn & Cpu.TLB_MASK;
        if (c.tlbRead[i] == vpn && (c.tlbFlags[i] & WRITABLE_DIRTY) != 0) {
            return;     // cached as writable with the dirty bit set: the store cannot fault (writeSlow re-arms)
        }
        // Fill the entry for the write now: one walk (setting A and D) instead of three (this probe, the read's
        // fill, the store's fill). The store follows in this instruction, so marking the page dirty and dropping
        // the code it overwrites here is what the store would do.
        writeSize = n;
        hostFor(lin, WRITE);
        writeSize = 1;
    }

    /** Whether the TLB caches the page of {@code lin} as writable with its dirty bit set (a store cannot fault). */
    private boolean writableCached(long lin) {
        long vpn = lin >>> 12;
        int i = (int) vpn & Cpu.TLB_MASK;
        return c.tlbWrite[i] == vpn || c.tlbWriteCode[i] == vpn
                || (c.tlbRead[i] == vpn && (c.tlbFlags[i] & WRITABLE_DIRTY) != 0);
    }

    // ---- instruction fetch -----------------------------------------------------------------------------------

    /**
     * The host address of code byte {@code lin} (fetch permission checked, TLB filled), or -1 when it is not RAM.
     */
    public long fetchHost(long lin) {
        long vpn = lin >>> 12;
        int i = (int) vpn & Cpu.TLB_MASK;
        if (c.tlbExec[i] == vpn) {
            return c.tlbHost[i] + (lin & 0xfff);
        }
        return hostFor(lin, EXEC);
    }

    /** The guest-physical page of code at {@code lin} after {@link #fetchHost}; valid while the TLB entry is. */
    public long fetchPhysPage(long lin) {
        return c.tlbPhys[(int) (lin >>> 12) & Cpu.TLB_MASK];
    }

    // ---- supervisor (implicit) accesses: descriptor tables, TSS, IDT ---------------------------------------

    /** Reads {@code 1 << s} bytes at linear {@code lin} as a supervisor access (no TLB). */
    public long readSys(long lin, int s) {
        int n = 1 << s;
        if ((lin & 0xfff) > 4096 - n) {
            long v = 0;
            for (int k = 0; k < n; k++) {
                v |= readSys(lin + k, 0) << (8 * k);
            }
            return v;
        }
        return readPhys(walker.translate(lin, READ, false), n);
    }

    /** Writes {@code 1 << s} bytes at linear {@code lin} as a supervisor access. */
    public void writeSys(long lin, int s, long v) {
        writeAs(lin, s, v, false);
    }

    /** Writes {@code 1 << s} bytes at linear {@code lin} as a user or supervisor access (no TLB). */
    public void writeAs(long lin, int s, long v, boolean user) {
        int n = 1 << s;
        if ((lin & 0xfff) > 4096 - n) {
            walker.translate(lin, WRITE, user);
            walker.translate((lin | 0xfff) + 1, WRITE, user);
            for (int k = 0; k < n; k++) {
                writeAs(lin + k, 0, v >>> (8 * k), user);
            }
            return;
        }
        writePhys(walker.translate(lin, WRITE, user), n, v);
    }

    // ---- physical ----------------------------------------------------------------------------------------------

    /** Reads {@code n} bytes (within one page) at guest-physical {@code gpa}. */
    public long readPhys(long gpa, int n) {
        int r = phys.region(gpa);
        if (r >= 0) {
            return Host.get(phys.host(r, gpa), n);
        }
        return mmioRead(gpa, n);
    }

    /** Writes {@code n} bytes (within one page) at guest-physical {@code gpa}, with dirty and code bookkeeping. */
    public void writePhys(long gpa, int n, long v) {
        int r = phys.region(gpa);
        if (r >= 0) {
            noteWrite(r, gpa);
            Host.put(phys.host(r, gpa), n, v);
        } else {
            mmioWrite(gpa, n, v);
        }
    }

    /** Compare-and-set of a 4- or 8-byte RAM value (page-table A/D updates); true if it was {@code expect}. */
    public boolean casPhys(long gpa, int n, long expect, long update) {
        int r = phys.region(gpa);
        if (r < 0) {
            mmioWrite(gpa, n, update);
            return true;
        }
        noteWrite(r, gpa);
        long a = phys.host(r, gpa);
        return n == 8 ? Host.U.compareAndSwapLong(null, a, expect, update)
                : Host.U.compareAndSwapInt(null, a, (int) expect, (int) update);
    }

    /** Dirty mark and code invalidation for a CPU write to RAM at {@code gpa} in region {@code r}. */
    public void noteWrite(int r, long gpa) {
        long page = phys.page(r, gpa);
        phys.markDirty(r, page, c.epochSeen[r]);
        if (phys.isCode(r, page)) {
            codeWrite(r, page, gpa & ~0xfffL, (int) (gpa & 0xfff), 8);
        }
    }

    private long mmioRead(long gpa, int n) {
        byte[] b = c.io[Integer.numberOfTrailingZeros(n)];
        Arrays.fill(b, (byte) 0xff);
        c.ops.mmioRead(gpa, b);
        long v = 0;
        for (int k = n - 1; k >= 0; k--) {
            v = v << 8 | (b[k] & 0xff);
        }
        return v;
    }

    private void mmioWrite(long gpa, int n, long v) {
        byte[] b = c.io[Integer.numberOfTrailingZeros(n)];
        for (int k = 0; k < n; k++) {
            b[k] = (byte) (v >>> (8 * k));
        }
        c.ops.mmioWrite(gpa, b);
    }

    /** Raises #GP(0) for a non-canonical address. */
    public static void checkCanonical(Cpu c, long lin) {
        if (((lin << 16) >> 16) != lin) {
            throw c.fault(Vec.GP, 0);
        }
    }
}
