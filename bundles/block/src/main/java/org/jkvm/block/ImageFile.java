package org.jkvm.block;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * One open image file: positional reads and writes ({@code pread}/{@code pwrite}, so any number of threads may
 * transfer at once), {@code fdatasync}, and the file descriptor the image's locks are taken on. The file has one
 * owner, which closes it once.
 *
 * <p>With {@code O_DIRECT} ({@link CacheMode#direct()}) the kernel wants offset, length and memory address aligned
 * to the device's logical block, probed at open (512 to 4096). Requests that are not aligned go through a
 * per-thread aligned bounce buffer; an unaligned write reads the blocks at its ends first and writes them whole
 * (read-modify-write), serialised by one lock so that two such writes into one block do not lose each other's
 * bytes. Reads past the end of the file return zeros.
 *
 * <p>{@link #flush()} skips the {@code fdatasync} when no write completed since the last successful one (a stop
 * followed by a migration's flush and release, a guest that flushes an unchanged disk): each one costs 1-10 ms on
 * this kind of host even with nothing to write, and a migration's downtime pays every one of them.
 */
final class ImageFile implements AutoCloseable {
    /** Largest transfer through the bounce buffer at once; a bigger request is split. */
    private static final int BOUNCE_BYTES = 1 << 20;
    /** Memory alignment of the bounce buffers: enough for every logical block size there is. */
    private static final int BOUNCE_ALIGN = 4096;
    private static final ThreadLocal<ByteBuffer> BOUNCE = ThreadLocal.withInitial(
            () -> ByteBuffer.allocateDirect(BOUNCE_BYTES + BOUNCE_ALIGN).alignedSlice(BOUNCE_ALIGN));
    private static final int ENOENT = 2;
    private static final int EROFS = 30;

    private final Path path;
    private final int fd;
    private final CacheMode cache;
    private final boolean readOnly;
    /** Request alignment in bytes: 1 through the page cache, the logical block size with {@code O_DIRECT}. */
    private final int alignment;
    private final Object rmwLock = new Object();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Writes completed so far; counted after each pwrite returns. */
    private final AtomicLong writes = new AtomicLong();
    /** {@link #writes} as it was read before the last successful {@code fdatasync}: all those are stable. */
    private final AtomicLong stableWrites = new AtomicLong();

    private ImageFile(Path path, int fd, CacheMode cache, boolean readOnly) {
        this.path = path;
        this.fd = fd;
        this.cache = cache;
        this.readOnly = readOnly;
        this.alignment = cache.direct() ? probeAlignment() : 1;
    }

    /** Opens an existing image file per {@code cache}; read-only opens use {@code O_RDONLY}. */
    static ImageFile open(Path path, boolean readOnly, CacheMode cache) {
        int flags = (readOnly ? LibC.O_RDONLY : LibC.O_RDWR) | LibC.O_CLOEXEC;
        if (cache.direct()) {
            flags |= LibC.O_DIRECT;
        }
        if (cache.syncEachWrite()) {
            flags |= LibC.O_DSYNC;
        }
        int fd = LibC.open(path.toString(), flags, 0);
        if (fd < 0) {
            throw openFailure(path, readOnly, cache, LibC.errno());
        }
        return new ImageFile(path, fd, cache, readOnly);
    }

    /** Creates a new file (it must not exist), read-write through the page cache. */
    static ImageFile createNew(Path path) {
        int fd = LibC.open(path.toString(), LibC.O_RDWR | LibC.O_CREAT | LibC.O_EXCL | LibC.O_CLOEXEC, 0644);
        if (fd < 0) {
            int errno = LibC.errno();
            throw new BlockException(BlockException.Kind.IO, "cannot create image " + path + ": "
                    + LibC.strerror(errno) + "; choose a new file name in a writable directory");
        }
        return new ImageFile(path, fd, CacheMode.WRITEBACK, false);
    }

    private static BlockException openFailure(Path path, boolean readOnly, CacheMode cache, int errno) {
        String why = LibC.strerror(errno);
        String todo;
        if (errno == ENOENT) {
            todo = "check the path (a backing file is looked up relative to its overlay's directory)";
        } else if (errno == LibC.EACCES || errno == EROFS) {
            todo = readOnly ? "check the file's permissions" : "check the file's permissions or open it readonly=on";
        } else if (errno == LibC.EINVAL && cache.direct()) {
            todo = "the file system does not support O_DIRECT; use cache=writeback";
        } else {
            todo = "check the path and the file system";
        }
        return new BlockException(BlockException.Kind.IO, "cannot open image " + path
                + (readOnly ? " read-only" : " for writing") + ": " + why + "; " + todo);
    }

    /** The logical block size O_DIRECT accepts, found by trying reads of growing size at offset 0. */
    private int probeAlignment() {
        if (size() < BOUNCE_ALIGN) {
            return BOUNCE_ALIGN; // too short to tell: the largest alignment is always accepted
        }
        long addr = address(BOUNCE.get());
        for (int a = 512; a < BOUNCE_ALIGN; a <<= 1) {
            if (LibC.pread(fd, addr, a, 0) >= 0) {
                return a;
            }
        }
        return BOUNCE_ALIGN;
    }

    Path path() {
        return path;
    }

    int fd() {
        return fd;
    }

    CacheMode cache() {
        return cache;
    }

    /** Request alignment: 1 through the page cache, the logical block size with {@code O_DIRECT}. */
    int alignment() {
        return alignment;
    }

    private static long address(ByteBuffer direct) {
        return Pointer.nativeValue(Native.getDirectBufferPointer(direct));
    }

    private boolean aligned(long value) {
        return (value & (alignment - 1)) == 0;
    }

    /** Current file size in bytes ({@code lseek(SEEK_END)}: works for block devices too). */
    long size() {
        long r = LibC.lseek(fd, 0, LibC.SEEK_END);
        if (r < 0) {
            throw new BlockException(BlockException.Kind.IO, "cannot find the size of " + path + ": "
                    + LibC.lastError() + "; check the file system");
        }
        return r;
    }

    /**
     * Whether the file system would let this file reach {@code bytes} bytes. Asks {@code lseek(SEEK_SET)}, which
     * refuses offsets beyond the file system's largest file; nothing is written.
     */
    boolean fitsSize(long bytes) {
        return LibC.lseek(fd, bytes, LibC.SEEK_SET) >= 0;
    }

    /** The largest size the file system allows this file, found by bisection with {@link #fitsSize}. */
    long maxFileSize() {
        long lo = 0;
        long hi = Long.MAX_VALUE;
        while (lo < hi) {
            long mid = lo + ((hi - lo) >>> 1) + ((hi - lo) & 1); // the upper middle, without overflow at MAX_VALUE
            if (fitsSize(mid)) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** Reads {@code dst.remaining()} bytes at {@code offset}; past the end of the file the bytes are zeros. */
    void read(long offset, ByteBuffer dst) {
        int len = dst.remaining();
        if (len == 0) {
            return;
        }
        if (dst.isDirect()) {
            long addr = address(dst) + dst.position();
            if (aligned(offset) && aligned(len) && aligned(addr)) {
                readFully(addr, len, offset);
                dst.position(dst.limit());
                return;
            }
        }
        ByteBuffer b = BOUNCE.get();
        long addr = address(b);
        long pos = offset;
        while (dst.hasRemaining()) {
            long start = pos & -alignment;
            int head = (int) (pos - start);
            int span = (int) Math.min(alignUp(head + (long) dst.remaining()), BOUNCE_BYTES);
            int n = Math.min(dst.remaining(), span - head);
            readFully(addr, span, start);
            dst.put(b.duplicate().position(head).limit(head + n));
            pos += n;
        }
    }

    /** Writes {@code src.remaining()} bytes at {@code offset}, growing the file if the range ends past it. */
    void write(long offset, ByteBuffer src) {
        if (readOnly) {
            throw new IllegalStateException("write to read-only " + path);
        }
        int len = src.remaining();
        if (len == 0) {
            return;
        }
        if (src.isDirect()) {
            long addr = address(src) + src.position();
            if (aligned(offset) && aligned(len) && aligned(addr)) {
                writeFully(addr, len, offset);
                src.position(src.limit());
                return;
            }
        }
        if (alignment == 1 || (aligned(offset) && aligned(len))) {
            writeBounced(offset, src);
        } else {
            synchronized (rmwLock) {
                writeBounced(offset, src);
            }
        }
    }

    /** Copies through the bounce buffer; windows the request does not cover whole are read first. */
    private void writeBounced(long offset, ByteBuffer src) {
        ByteBuffer b = BOUNCE.get();
        long addr = address(b);
        long pos = offset;
        while (src.hasRemaining()) {
            long start = pos & -alignment;
            int head = (int) (pos - start);
            int span = (int) Math.min(alignUp(head + (long) src.remaining()), BOUNCE_BYTES);
            int n = Math.min(src.remaining(), span - head);
            if (head != 0 || n != span) {
                readFully(addr, span, start);
            }
            ByteBuffer part = src.duplicate();
            part.limit(part.position() + n);
            b.duplicate().position(head).put(part);
            src.position(src.position() + n);
            writeFully(addr, span, start);
            pos += n;
        }
    }

    private long alignUp(long value) {
        return (value + alignment - 1) & -alignment;
    }

    private void readFully(long addr, int len, long offset) {
        long done = 0;
        while (done < len) {
            long r = LibC.pread(fd, addr + done, len - done, offset + done);
            if (r < 0) {
                int errno = LibC.errno();
                if (errno == LibC.EINTR) {
                    continue;
                }
                throw ioFailure("read", len, offset, errno);
            }
            if (r == 0 || (cache.direct() && r < len - done)) {
                // The end of the file: the rest reads as zeros (a direct read stops short at an unaligned end).
                new Pointer(addr + done + r).setMemory(0, len - done - r, (byte) 0);
                return;
            }
            done += r;
        }
    }

    private void writeFully(long addr, int len, long offset) {
        long done = 0;
        while (done < len) {
            long r = LibC.pwrite(fd, addr + done, len - done, offset + done);
            if (r <= 0) {
                int errno = r < 0 ? LibC.errno() : 0;
                if (errno == LibC.EINTR) {
                    continue;
                }
                throw ioFailure("write", len, offset, errno);
            }
            done += r;
        }
        writes.incrementAndGet();
    }

    private BlockException ioFailure(String op, int len, long offset, int errno) {
        return new BlockException(BlockException.Kind.IO, "cannot " + op + " " + len + " bytes at offset " + offset
                + " of " + path + ": " + (errno == 0 ? "no progress" : LibC.strerror(errno))
                + "; check the disk and the file system (free space, I/O errors in the kernel log)");
    }

    /**
     * {@code fdatasync}, unless the cache mode ignores flushes or no write completed since the last successful one
     * began (those writes are stable already). Thread-safe.
     */
    void flush() {
        if (!cache.flushes()) {
            return;
        }
        long seen = writes.get();
        if (seen == stableWrites.get()) {
            return;
        }
        sync();
        stableWrites.accumulateAndGet(seen, Math::max);
    }

    /** Whether a write completed since the last successful flush began (what a flush now would have to sync). */
    boolean unflushed() {
        return writes.get() != stableWrites.get();
    }

    /** Whether ordering barriers need an explicit {@code fdatasync} (not with O_DSYNC, not for unsafe). */
    boolean barriersNeeded() {
        return cache.flushes() && !cache.syncEachWrite();
    }

    private void sync() {
        while (LibC.fdatasync(fd) != 0) {
            int errno = LibC.errno();
            if (errno != LibC.EINTR) {
                throw new BlockException(BlockException.Kind.IO, "cannot flush " + path + ": " + LibC.strerror(errno)
                        + "; writes since the last flush may be lost, check the disk and the kernel log");
            }
        }
    }

    /** Deallocates a range so it reads as zeros, keeping the size; false when the file system cannot. */
    boolean punchHole(long offset, long length) {
        boolean ok = LibC.fallocate(fd, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, offset, length) == 0;
        writes.incrementAndGet(); // a changed extent map needs the next flush, like a write
        return ok;
    }

    /** Closes the descriptor (dropping its OFD locks); later calls do nothing. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            LibC.close(fd);
        }
    }
}
