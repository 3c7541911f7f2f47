package org.jkvm.devices.virtio.blk;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Completed request counters of one virtio-blk device, as {@code virsh domblkstat} reports them (rd_req, rd_bytes,
 * wr_req, wr_bytes, flush_operations). Thread-safe: written by the I/O thread, read by the monitor.
 */
public final class BlockStats {
    private final AtomicLong readRequests = new AtomicLong();
    private final AtomicLong readBytes = new AtomicLong();
    private final AtomicLong writeRequests = new AtomicLong();
    private final AtomicLong writeBytes = new AtomicLong();
    private final AtomicLong flushes = new AtomicLong();

    void read(long bytes) {
        readRequests.incrementAndGet();
        readBytes.addAndGet(bytes);
    }

    void wrote(long bytes) {
        writeRequests.incrementAndGet();
        writeBytes.addAndGet(bytes);
    }

    void flushed() {
        flushes.incrementAndGet();
    }

    /** Read requests completed. */
    public long readRequests() {
        return readRequests.get();
    }

    /** Bytes read. */
    public long readBytes() {
        return readBytes.get();
    }

    /** Write requests completed. */
    public long writeRequests() {
        return writeRequests.get();
    }

    /** Bytes written. */
    public long writeBytes() {
        return writeBytes.get();
    }

    /** Flushes completed. */
    public long flushes() {
        return flushes.get();
    }
}
