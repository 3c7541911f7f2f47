package org.jkvm.block;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Optional;

/**
 * An open disk image: the bytes a guest sees as its disk, stored in a raw file or a qcow2 chain.
 *
 * <p><b>Requests.</b> {@link #read} and {@link #write} move {@code buf.remaining()} bytes at a byte offset (any
 * offset and length; a request wholly inside {@code [0, sizeBytes())}), and on return the buffer's position is at its
 * limit. Direct buffers are used in place; heap buffers are copied through a per-thread direct buffer.
 *
 * <p><b>Thread-safety.</b> {@code read}, {@code write}, {@code writeZeroes} and {@code flush} may be called from any
 * number of threads at once (an I/O thread pool). Each request is atomic with respect to the image's metadata; two
 * requests that overlap and run at the same time land in an unspecified order (as on a real disk), and a read that
 * overlaps a running write sees old or new data. {@code flush} makes every write that completed before it was called
 * stable (per the {@link CacheMode}). {@link #activate}, {@link #inactivate} and {@link #close} must not run
 * concurrently with requests or with each other: the caller drains its requests first.
 *
 * <p><b>Crash consistency.</b> For qcow2, metadata is written in an order (refcount before the L2 or L1 entry that
 * references a cluster, data before the L2 entry that points at it, an {@code fdatasync} barrier where the order must
 * survive a host crash) that leaves the image consistent after a kill at any moment: {@code qemu-img check} may
 * report leaked clusters, never corruption. A write acknowledged before a kill of the process is in the image.
 *
 * <p>All failures are {@link BlockException}s.
 */
public interface BlockImage extends AutoCloseable {
    /** The image file as it was named when opened. */
    Path path();

    /** The format of this image (its backing file may have another). */
    ImageFormat format();

    /** The virtual disk size in bytes: what the guest sees. */
    long sizeBytes();

    /** Whether writes are refused ({@code readonly=on}, or a backing file). */
    boolean readOnly();

    /** The cache mode the file was opened with. */
    CacheMode cacheMode();

    /** The backing image, for a qcow2 overlay that has one (reported as libvirt's {@code <backingStore>}). */
    Optional<BlockImage> backing();

    /** Whether writes go to a temporary overlay that is discarded at close ({@code -snapshot}). */
    boolean temporaryOverlay();

    /** Whether the image holds its locks and serves requests (false for an inactive migration destination). */
    boolean active();

    /**
     * Reads {@code dst.remaining()} bytes at {@code offset} into {@code dst}.
     *
     * @throws BlockException {@link BlockException.Kind#INVALID_REQUEST} when the range leaves the disk or the image
     *                        is inactive; {@link BlockException.Kind#IO} or {@code CORRUPT} when the file fails
     */
    void read(long offset, ByteBuffer dst);

    /**
     * Writes {@code src.remaining()} bytes from {@code src} at {@code offset}; the data is stable after the next
     * {@link #flush()} (or at once with {@code writethrough}/{@code directsync}).
     *
     * @throws BlockException {@link BlockException.Kind#INVALID_REQUEST} when the image is read-only or inactive or
     *                        the range leaves the disk; {@code IO} or {@code CORRUPT} when the file fails
     */
    void write(long offset, ByteBuffer src);

    /**
     * Makes {@code lengthBytes} bytes at {@code offset} read as zeros. The default writes zeros; formats that can
     * do better (a hole in a raw file, zero clusters in qcow2 version 3) override it.
     */
    default void writeZeroes(long offset, long lengthBytes) {
        ByteBuffer zeros = ByteBuffer.allocateDirect((int) Math.min(lengthBytes, 1 << 20));
        long done = 0;
        while (done < lengthBytes) {
            int n = (int) Math.min(zeros.capacity(), lengthBytes - done);
            zeros.clear().limit(n);
            write(offset + done, zeros);
            done += n;
        }
    }

    /** Makes every write completed before this call stable ({@code fdatasync}); does nothing for {@code unsafe}. */
    void flush();

    /**
     * Writes back ahead of a coming {@link #inactivate()} while requests may still run (a migration source before
     * it stops the guest): a {@code fdatasync}, and for qcow2 the return of reserved clusters, so that the flush and
     * release inside the downtime have little left to write. The image stays active; later writes need the usual
     * flush. Thread-safe with requests. The default: {@link #flush()}.
     */
    default void preflush() {
        flush();
    }

    /**
     * Takes the image's locks (the write lock for a read-write image) and reads its metadata afresh, then serves
     * requests: a migration destination calls this at the handover, a source calls it to take its image back after
     * a failed migration. Does nothing on an active image.
     *
     * @throws BlockException {@link BlockException.Kind#LOCKED} when another process still holds the image; the
     *                        image then stays inactive and holds no lock
     */
    void activate();

    /**
     * Flushes, returns unused reserved clusters, then gives up the locks so that another process (a migration
     * destination) may take the image; requests are refused until {@link #activate()}. Does nothing on an inactive
     * image.
     */
    void inactivate();

    /** Flushes (when active and writable), releases the locks and closes the file and the backing chain. */
    @Override
    void close();
}
