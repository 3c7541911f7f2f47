package org.jkvm.memory;

import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One guest RAM region in a {@code MAP_NORESERVE} mapping outside the Java heap. How it is backed ({@link Backing},
 * system property {@code jkvm.memory.backing}):
 * <ul>
 * <li>{@code private} (the default, as QEMU's default RAM): a private anonymous mapping. {@link #populated()} asks
 * {@code /proc/self/pagemap} which pages are present or swapped out; {@link #preallocate} is one {@code
 * MADV_POPULATE_WRITE}. Reading a never-written page maps the shared zero page and allocates nothing. Marked
 * {@code MADV_DONTFORK}, so a child process never shares (or copies) guest RAM. Filling fresh private memory costs
 * this host about half what shmem costs (a migration destination's main cost: 1 GiB in 0.4 s instead of 0.7 s).</li>
 * <li>{@code memfd}: a shared mapping of a memfd (an unnamed shmem file), kept open so {@link #populated()} can use
 * {@code lseek(SEEK_DATA/SEEK_HOLE)} and {@link #preallocate} {@code fallocate(2)}. If memfd_create is unavailable
 * the region falls back to a plain anonymous shared mapping that reports every page as populated.</li>
 * </ul>
 *
 * <p>Why not {@code mincore(2)}: it reports pages in memory only, so a page that was written and then swapped out
 * reads as "not resident" although it holds data; skipping it would lose guest memory. Both {@code pagemap}'s
 * swapped bit and {@code SEEK_DATA} on shmem count swapped-out pages as data.
 *
 * <p>The mapping is covered by direct little-endian windows of at most 1 GiB, created once, so accesses use
 * absolute indexes and allocate nothing. Thread-safe for reads and writes; {@link #unmap()} must not race with
 * them (the owner, {@link MmapGuestMemory}, closes after the vCPUs and devices stop).
 */
final class MmapRegion implements MemoryRegion {
    /** Window size: 1 GiB, the largest power of two a ByteBuffer can index. */
    static final int WINDOW_SHIFT = 30;
    static final long WINDOW_BYTES = 1L << WINDOW_SHIFT;
    private static final Logger LOG = LoggerFactory.getLogger(MmapRegion.class);
    private static final Path PAGEMAP = Path.of("/proc/self/pagemap");
    private static final int PAGEMAP_ENTRY = 8;
    private static final int PAGEMAP_CHUNK_PAGES = 8192;
    private static final long PAGEMAP_PRESENT = 1L << 63;
    private static final long PAGEMAP_SWAPPED = 1L << 62;

    private final int slot;
    private final long gpa;
    private final long sizeBytes;
    private final long hva;
    /** The memfd behind the mapping, or -1 (private or anonymous shared memory). */
    private final int fd;
    /** Private anonymous memory (pagemap, MADV_POPULATE_WRITE), else shared. */
    private final boolean isPrivate;
    private final DirtyBitmap vmmDirty;
    private final ByteBuffer[] windows;
    private volatile boolean mapped = true;
    /** Told about VMM writes (a software CPU's decoded-code invalidation), or null: one volatile read per write. */
    private volatile WriteHook writeHook;

    /** How a region's memory is provided. */
    enum Backing {
        /** Private anonymous memory; populated pages from /proc/self/pagemap. */
        PRIVATE,
        /** A shared mapping of a memfd; populated pages from SEEK_DATA/SEEK_HOLE. */
        MEMFD,
        /** Anonymous shared memory (memfd's fallback; tests): every page counts as populated. */
        SHARED;

        /**
         * The backing system property {@code jkvm.memory.backing} asks for: {@code private} (default) or {@code memfd}.
         */
        static Backing configured() {
            String v = System.getProperty("jkvm.memory.backing", "private");
            return switch (v) {
                case "private" -> PRIVATE;
                case "memfd" -> MEMFD;
                default -> throw new GuestMemoryException("jkvm.memory.backing=" + v + " is not a RAM backing; use "
                        + "private or memfd");
            };
        }
    }

    MmapRegion(int slot, long gpa, long sizeBytes) {
        this(slot, gpa, sizeBytes, Backing.configured());
    }

    /** @param memfd false to map plain anonymous shared memory (memfd's fallback; for tests) */
    MmapRegion(int slot, long gpa, long sizeBytes, boolean memfd) {
        this(slot, gpa, sizeBytes, memfd ? Backing.MEMFD : Backing.SHARED);
    }

    MmapRegion(int slot, long gpa, long sizeBytes, Backing backing) {
        if (sizeBytes <= 0 || sizeBytes % GuestMemory.PAGE_SIZE != 0) {
            throw new GuestMemoryException("region size " + sizeBytes + " is not a positive multiple of "
                    + GuestMemory.PAGE_SIZE + " bytes");
        }
        this.isPrivate = backing == Backing.PRIVATE;
        this.fd = backing == Backing.MEMFD ? createMemfd(slot, sizeBytes) : -1;
        int flags = Mman.MAP_NORESERVE | (isPrivate ? Mman.MAP_PRIVATE : Mman.MAP_SHARED)
                | (fd < 0 ? Mman.MAP_ANONYMOUS : 0);
        long addr = Mman.mmap(0, sizeBytes, Mman.PROT_READ | Mman.PROT_WRITE, flags, fd, 0);
        if (addr == -1L) {
            String error = Mman.lastError();
            closeFd();
            throw new GuestMemoryException("cannot map " + sizeBytes + " bytes of guest RAM: " + error
                    + "; lower the memory size or raise the address-space limit");
        }
        if (isPrivate && Mman.madvise(addr, sizeBytes, Mman.MADV_DONTFORK) != 0) {
            LOG.debug("MADV_DONTFORK on guest memory slot {} failed: {}", slot, Mman.lastError());
        }
        this.slot = slot;
        this.gpa = gpa;
        this.sizeBytes = sizeBytes;
        this.hva = addr;
        this.vmmDirty = new DirtyBitmap(sizeBytes / GuestMemory.PAGE_SIZE);
        int count = (int) ((sizeBytes + WINDOW_BYTES - 1) >>> WINDOW_SHIFT);
        this.windows = new ByteBuffer[count];
        Pointer base = new Pointer(addr);
        for (int i = 0; i < count; i++) {
            long off = (long) i << WINDOW_SHIFT;
            windows[i] = base.getByteBuffer(off, Math.min(WINDOW_BYTES, sizeBytes - off))
                    .order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    @Override
    public int slot() {
        return slot;
    }

    @Override
    public long gpa() {
        return gpa;
    }

    @Override
    public long sizeBytes() {
        return sizeBytes;
    }

    @Override
    public long hva() {
        return hva;
    }

    @Override
    public DirtyBitmap vmmDirty() {
        return vmmDirty;
    }

    /**
     * The pages the kernel holds for this region (in memory or swapped out), without reading guest RAM: from
     * {@code /proc/self/pagemap} for private memory, from {@code SEEK_DATA}/{@code SEEK_HOLE} on the memfd
     * (one pair of calls per populated extent), every page for anonymous shared memory. Synchronized with
     * {@link #unmap()} so the mapping and the descriptor stay valid during the scan.
     */
    @Override
    public synchronized DirtyBitmap populated() {
        checkRange(0, 0);
        DirtyBitmap bitmap = new DirtyBitmap(pages());
        if (isPrivate) {
            pagemapPopulated(bitmap);
            return bitmap;
        }
        if (fd < 0) {
            bitmap.markAll();
            return bitmap;
        }
        long pos = 0;
        while (pos < sizeBytes) {
            long data = Mman.lseek(fd, pos, Mman.SEEK_DATA);
            if (data < 0) {
                if (com.sun.jna.Native.getLastError() != Mman.ENXIO) {
                    // Unknown failure: be conservative, the rest may hold data.
                    LOG.warn("SEEK_DATA on guest memory slot {} failed: {}; reading the rest", slot, Mman.lastError());
                    bitmap.markRange(pos, sizeBytes - pos);
                }
                break; // ENXIO: no data at or after pos
            }
            long hole = Mman.lseek(fd, data, Mman.SEEK_HOLE);
            if (hole < 0 || hole > sizeBytes) {
                hole = sizeBytes;
            }
            bitmap.markRange(data, hole - data);
            pos = hole;
        }
        return bitmap;
    }

    /**
     * Marks the pages whose {@code pagemap} entry is present (bit 63) or swapped (bit 62: also migration entries,
     * so a page the kernel is moving counts). A page with neither was never written or was discarded: it reads
     * zero. If pagemap cannot be read, every page is marked (correct, only slower).
     */
    private void pagemapPopulated(DirtyBitmap bitmap) {
        long pages = pages();
        long firstEntry = hva / GuestMemory.PAGE_SIZE * PAGEMAP_ENTRY;
        ByteBuffer buf = ByteBuffer.allocateDirect(PAGEMAP_CHUNK_PAGES * PAGEMAP_ENTRY).order(ByteOrder.nativeOrder());
        try (FileChannel ch = FileChannel.open(PAGEMAP, StandardOpenOption.READ)) {
            for (long page = 0; page < pages; ) {
                int n = (int) Math.min(PAGEMAP_CHUNK_PAGES, pages - page);
                buf.clear().limit(n * PAGEMAP_ENTRY);
                long pos = firstEntry + page * PAGEMAP_ENTRY;
                while (buf.hasRemaining()) {
                    if (ch.read(buf, pos + buf.position()) <= 0) {
                        throw new IOException("short read at entry " + (page + buf.position() / PAGEMAP_ENTRY));
                    }
                }
                for (int i = 0; i < n; i++) {
                    if ((buf.getLong(i * PAGEMAP_ENTRY) & (PAGEMAP_PRESENT | PAGEMAP_SWAPPED)) != 0) {
                        bitmap.mark(page + i);
                    }
                }
                page += n;
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot read {} for guest memory slot {} ({}); treating every page as populated", PAGEMAP,
                    slot, e.toString());
            bitmap.markAll();
        }
    }

    /**
     * Private memory: {@code madvise(MADV_POPULATE_WRITE)}, which faults the missing pages in writable and leaves
     * present ones (and their data) alone. Memfd: {@code fallocate(2)} (mode 0: allocate, keep data, never shrink),
     * then {@code MADV_POPULATE_WRITE} on the mapping, so the writer takes no page fault at all (measured on this
     * host, per GiB: the receive thread's system time drops from 1.1-1.3 s to 0.3-0.5 s; the caller's thread pays
     * ~0.5 s, fallocate alone 0.25 s). Either way a concurrent writer's page keeps its data whichever comes first.
     * A kernel without MADV_POPULATE_WRITE (before 5.14) gets only the fallocate, or nothing for private memory
     * (false). System property {@code jkvm.memory.populate=false} skips the populate step (for benchmarks).
     * Synchronized with {@link #unmap()} so the mapping and the descriptor stay valid meanwhile.
     */
    @Override
    public synchronized boolean preallocate(long offset, long length) {
        checkRange(offset, length);
        if (!isPrivate && fd < 0) {
            return false;
        }
        if (length == 0) {
            return true;
        }
        if (!isPrivate && Mman.fallocate(fd, 0, offset, length) != 0) {
            LOG.debug("fallocate of guest memory slot {} at {}+{} failed: {}", slot, offset, length, Mman.lastError());
            return false;
        }
        if ("false".equals(System.getProperty("jkvm.memory.populate"))) {
            return !isPrivate;
        }
        if (Mman.madvise(hva + offset, length, Mman.MADV_POPULATE_WRITE) != 0) {
            LOG.debug("MADV_POPULATE_WRITE of guest memory slot {} failed: {}", slot, Mman.lastError());
            return !isPrivate;
        }
        return true;
    }

    /** The memfd descriptor, or -1 (for tests). */
    int fd() {
        return fd;
    }

    @Override
    public ByteBuffer view(long offset, int length) {
        checkRange(offset, length);
        return new Pointer(hva).getByteBuffer(offset, length).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Copies {@code length} bytes at region {@code offset} into {@code dst} at its position (advancing it). */
    void copyOut(long offset, ByteBuffer dst, int length) {
        checkRange(offset, length);
        int pos = dst.position();
        while (length > 0) {
            int w = (int) (offset >>> WINDOW_SHIFT);
            int inWindow = (int) (offset & (WINDOW_BYTES - 1));
            int n = Math.min(length, windows[w].capacity() - inWindow);
            dst.put(pos, windows[w], inWindow, n);
            pos += n;
            offset += n;
            length -= n;
        }
        dst.position(pos);
    }

    /** Copies {@code length} bytes from {@code src} at its position (advancing it) to region {@code offset}. */
    void copyIn(long offset, ByteBuffer src, int length) {
        checkRange(offset, length);
        int pos = src.position();
        long start = offset;
        int total = length;
        while (length > 0) {
            int w = (int) (offset >>> WINDOW_SHIFT);
            int inWindow = (int) (offset & (WINDOW_BYTES - 1));
            int n = Math.min(length, windows[w].capacity() - inWindow);
            windows[w].put(inWindow, src, pos, n);
            pos += n;
            offset += n;
            length -= n;
        }
        src.position(pos);
        // Mark after the copy: a collector that races sees the page now or on its next pass, never loses it.
        vmmDirty.markRange(start, total);
        wrote(start, total);
    }

    @Override
    public boolean setWriteHook(WriteHook hook) {
        writeHook = hook;
        return true;
    }

    /** Tells the write hook, if any, that the VMM wrote {@code [offset, offset + length)}. */
    void wrote(long offset, long length) {
        WriteHook h = writeHook;
        if (h != null) {
            h.written(offset, length);
        }
    }

    /** The window holding region {@code offset} (for small, aligned scalar accesses). */
    ByteBuffer window(long offset) {
        checkRange(offset, 1);
        return windows[(int) (offset >>> WINDOW_SHIFT)];
    }

    /** Index of {@code offset} inside its window. */
    static int inWindow(long offset) {
        return (int) (offset & (WINDOW_BYTES - 1));
    }

    private void checkRange(long offset, long length) {
        if (!mapped) {
            throw new GuestMemoryException("guest memory slot " + slot + " is closed; no access after close()");
        }
        if (offset < 0 || length < 0 || offset > sizeBytes - length) {
            throw new GuestMemoryException("guest range 0x" + Long.toHexString(gpa + offset) + "+" + length
                    + " is outside RAM region 0x" + Long.toHexString(gpa) + "..0x"
                    + Long.toHexString(gpa + sizeBytes - 1));
        }
    }

    /** Unmaps; idempotent. */
    synchronized void unmap() {
        if (mapped) {
            mapped = false;
            closeFd();
            if (Mman.munmap(hva, sizeBytes) != 0) {
                throw new GuestMemoryException("cannot unmap guest memory slot " + slot + ": " + Mman.lastError());
            }
        }
    }

    /**
     * A close-on-exec memfd of {@code sizeBytes} named after the slot, or -1 (logged) when it cannot be made (no
     * memfd_create, or a file-size limit refusing the ftruncate): the caller then maps anonymous memory.
     */
    private static int createMemfd(int slot, long sizeBytes) {
        int fd = Mman.memfd_create("jkvm-guest-ram-slot" + slot, Mman.MFD_CLOEXEC);
        if (fd < 0) {
            LOG.warn("memfd_create failed ({}); guest RAM slot {} uses an anonymous mapping and migration reads "
                    + "every page of it", Mman.lastError(), slot);
            return -1;
        }
        if (Mman.ftruncate(fd, sizeBytes) != 0) {
            LOG.warn("cannot size the memfd of guest RAM slot {} to {} bytes ({}); it uses an anonymous mapping "
                    + "and migration reads every page of it", slot, sizeBytes, Mman.lastError());
            Mman.close(fd);
            return -1;
        }
        return fd;
    }

    private void closeFd() {
        if (fd >= 0) {
            Mman.close(fd);
        }
    }

    @Override
    public String toString() {
        return "MmapRegion[slot " + slot + ", gpa 0x" + Long.toHexString(gpa) + ", " + (sizeBytes >> 20) + " MiB]";
    }
}
