package org.jkvm.devices.virtio.blk;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The I/O accounting of one virtio-blk device, counted as QEMU's block layer counts it for
 * {@code query-blockstats} and libvirt's {@code virsh domblkstat}: per kind (read, write, flush) the requests
 * completed, the bytes moved, and the total time the requests took (from the device taking the request off the
 * queue to its completion, in nanoseconds); failed and invalid requests (out of range, read-only) counted apart and
 * not in the totals; the highest byte offset written; and the time of the last completion (for QEMU's
 * {@code idle_time_ns}). Counters start at zero when the device is created (a migration destination starts anew,
 * as QEMU's do).
 *
 * <p>Thread-safe: written by the device's I/O thread, read by the monitor at any time; a {@link #snapshot()} is
 * not atomic across counters (QEMU's is not either), each counter is.
 */
public final class BlockStats {
    /** The kinds of request accounted. */
    public enum Kind {
        /** VIRTIO_BLK_T_IN. */
        READ,
        /** VIRTIO_BLK_T_OUT. */
        WRITE,
        /** VIRTIO_BLK_T_FLUSH. */
        FLUSH
    }

    private final LongSupplier clockNs;
    private final AtomicLong[] operations = counters();
    private final AtomicLong[] bytes = counters();
    private final AtomicLong[] totalNs = counters();
    private final AtomicLong[] failed = counters();
    private final AtomicLong[] invalid = counters();
    private final AtomicLong writeHighestOffset = new AtomicLong();
    private final AtomicLong lastCompletionNs = new AtomicLong(Long.MIN_VALUE);

    /** Counters on {@link System#nanoTime()}. */
    public BlockStats() {
        this(System::nanoTime);
    }

    /** @param clockNs a monotonic clock in nanoseconds (injected by tests) */
    public BlockStats(LongSupplier clockNs) {
        this.clockNs = clockNs;
    }

    private static AtomicLong[] counters() {
        AtomicLong[] a = new AtomicLong[Kind.values().length];
        for (int i = 0; i < a.length; i++) {
            a[i] = new AtomicLong();
        }
        return a;
    }

    /** The clock reading that starts a request's time ({@link #done}). */
    long start() {
        return clockNs.getAsLong();
    }

    /**
     * A request completed successfully.
     *
     * @param startNs     what {@link #start()} returned when the request was taken
     * @param offsetBytes the request's first byte on the disk (writes: for the highest offset)
     * @param length      the bytes moved (0 for a flush)
     */
    void done(Kind kind, long startNs, long offsetBytes, long length) {
        long now = clockNs.getAsLong();
        int k = kind.ordinal();
        operations[k].incrementAndGet();
        bytes[k].addAndGet(length);
        totalNs[k].addAndGet(Math.max(0, now - startNs));
        if (kind == Kind.WRITE) {
            writeHighestOffset.accumulateAndGet(offsetBytes + length, Math::max);
        }
        lastCompletionNs.set(now);
    }

    /** A request the image failed (an I/O error). */
    void failed(Kind kind) {
        failed[kind.ordinal()].incrementAndGet();
        lastCompletionNs.set(clockNs.getAsLong());
    }

    /** A request refused before any I/O (past the end, not whole sectors, a write to a read-only disk). */
    void invalid(Kind kind) {
        invalid[kind.ordinal()].incrementAndGet();
        lastCompletionNs.set(clockNs.getAsLong());
    }

    /** The counters now. */
    public Snapshot snapshot() {
        long last = lastCompletionNs.get();
        long idle = last == Long.MIN_VALUE ? -1 : Math.max(0, clockNs.getAsLong() - last);
        return new Snapshot(value(operations), value(bytes), value(totalNs), value(failed), value(invalid),
                writeHighestOffset.get(), idle);
    }

    private static long[] value(AtomicLong[] a) {
        long[] v = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            v[i] = a[i].get();
        }
        return v;
    }

    /** Read requests completed. */
    public long readRequests() {
        return operations[Kind.READ.ordinal()].get();
    }

    /** Bytes read. */
    public long readBytes() {
        return bytes[Kind.READ.ordinal()].get();
    }

    /** Write requests completed. */
    public long writeRequests() {
        return operations[Kind.WRITE.ordinal()].get();
    }

    /** Bytes written. */
    public long writeBytes() {
        return bytes[Kind.WRITE.ordinal()].get();
    }

    /** Flushes completed. */
    public long flushes() {
        return operations[Kind.FLUSH.ordinal()].get();
    }

    /**
     * The counters at one moment; arrays are indexed by {@link Kind#ordinal()}.
     *
     * @param operations         requests completed successfully
     * @param bytes              bytes moved by them
     * @param totalNs            their summed times, nanoseconds
     * @param failed             requests the image failed
     * @param invalid            requests refused before any I/O
     * @param writeHighestOffset the end of the highest write, bytes (QEMU's {@code wr_highest_offset})
     * @param idleNs             nanoseconds since the last completion, -1 before the first (QEMU then omits it)
     */
    public record Snapshot(long[] operations, long[] bytes, long[] totalNs, long[] failed, long[] invalid,
            long writeHighestOffset, long idleNs) {
        /** Requests of {@code k} completed. */
        public long operations(Kind k) {
            return operations[k.ordinal()];
        }

        /** Bytes moved by requests of {@code k}. */
        public long bytes(Kind k) {
            return bytes[k.ordinal()];
        }

        /** Summed time of the requests of {@code k}, nanoseconds. */
        public long totalNs(Kind k) {
            return totalNs[k.ordinal()];
        }

        /** Requests of {@code k} the image failed. */
        public long failed(Kind k) {
            return failed[k.ordinal()];
        }

        /** Requests of {@code k} refused before any I/O. */
        public long invalid(Kind k) {
            return invalid[k.ordinal()];
        }
    }
}
