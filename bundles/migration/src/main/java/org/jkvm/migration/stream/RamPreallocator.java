package org.jkvm.migration.stream;

import java.util.List;
import java.util.function.LongSupplier;

import org.jkvm.memory.GuestMemoryException;
import org.jkvm.memory.MemoryRegion;
import org.jkvm.vmstate.ProgressLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The destination's preallocation thread: allocates the host memory of the RAM_LAYOUT extents
 * ({@link MemoryRegion#preallocate}, i.e. {@code fallocate} on the memfd) in stream order, in chunks, ahead of the
 * receive loop, so the loop's first write to a page finds it allocated and zeroed (one cheap minor fault instead of
 * allocation and zeroing inside the loop). It never blocks the receive loop: it skips whatever the loop has
 * already passed ({@code cursor}) and stops at the end of round 0, on {@link #stop()}, when the region refuses or
 * is closed. Correctness never depends on it: a page the loop writes first is simply allocated by the fault, and
 * {@code fallocate} keeps pages that exist.
 */
public final class RamPreallocator {
    /** Bytes per {@code fallocate} call (the lead's measurement: 32 MiB chunks, 0.27-0.32 s per GiB). */
    static final long CHUNK_BYTES = 32L << 20;
    private static final Logger LOG = LoggerFactory.getLogger(RamPreallocator.class);

    private final RamWindows ram;
    private final List<RamLayout.Extent> extents;
    private final LongSupplier cursor;
    private volatile boolean stopped;
    private volatile long bytesAllocated;
    private volatile long bytesSkipped;
    private Thread thread;

    private RamPreallocator(RamWindows ram, List<RamLayout.Extent> extents, LongSupplier cursor) {
        this.ram = ram;
        this.extents = extents;
        this.cursor = cursor;
    }

    /**
     * Starts the thread {@code migration-in-prealloc}.
     *
     * @param extents checked extents (see {@link StreamLoader.LayoutListener})
     * @param cursor  the receive loop's position ({@link StreamLoader#cursor()}): nothing below it is allocated
     */
    public static RamPreallocator start(RamWindows ram, List<RamLayout.Extent> extents, LongSupplier cursor) {
        RamPreallocator p = new RamPreallocator(ram, extents, cursor);
        p.thread = new Thread(p::run, "migration-in-prealloc");
        p.thread.setDaemon(true);
        p.thread.start();
        return p;
    }

    /** Stops after the current chunk (at most {@link #CHUNK_BYTES}); returns at once. Idempotent. */
    public void stop() {
        stopped = true;
    }

    /** Waits up to {@code timeoutMs} for the thread to end; whether it has. */
    public boolean await(long timeoutMs) throws InterruptedException {
        thread.join(timeoutMs);
        return !thread.isAlive();
    }

    /** Bytes allocated ahead of the receive loop so far. */
    public long bytesAllocated() {
        return bytesAllocated;
    }

    /** Bytes of extents left alone because the receive loop had already passed them. */
    public long bytesSkipped() {
        return bytesSkipped;
    }

    private void run() {
        long t0 = System.nanoTime();
        ThreadCost cost = ThreadCost.now();
        try {
            for (RamLayout.Extent e : extents) {
                if (!allocate(e)) {
                    break;
                }
            }
        } catch (GuestMemoryException e) {
            LOG.debug("preallocation stopped: {}", e.getMessage()); // the memory was closed: the migration ended
        }
        ProgressLog.info(LOG, "preallocated {} MiB ahead of the stream ({} MiB already passed) in {} ms, {}",
                bytesAllocated >> 20, bytesSkipped >> 20, (System.nanoTime() - t0) / 1_000_000, ThreadCost.since(cost));
    }

    /** One extent, chunk by chunk; false when preallocation should end (stopped, refused, round 0 over). */
    private boolean allocate(RamLayout.Extent e) {
        MemoryRegion region = ram.regions().get(ram.regionOf(e.gpa(), e.pages()));
        long at = e.gpa();
        while (at < e.end()) {
            long passed = cursor.getAsLong();
            if (stopped || passed == Long.MAX_VALUE) {
                return false;
            }
            if (passed > at) {
                long skip = Math.min(passed, e.end()) - at;
                bytesSkipped += skip;
                at += skip;
                continue;
            }
            long len = Math.min(CHUNK_BYTES, e.end() - at);
            if (!region.preallocate(at - region.gpa(), len)) {
                LOG.debug("guest memory at 0x{} cannot be preallocated; the stream allocates as it goes",
                        Long.toHexString(at));
                return false;
            }
            bytesAllocated += len;
            at += len;
        }
        return true;
    }
}
