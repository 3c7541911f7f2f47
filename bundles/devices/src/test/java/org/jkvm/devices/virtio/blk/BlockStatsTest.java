package org.jkvm.devices.virtio.blk;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicLong;

import org.jkvm.devices.virtio.blk.BlockStats.Kind;
import org.junit.jupiter.api.Test;

/** The accounting rules of {@link BlockStats} on an injected clock: what counts where, and the times. */
class BlockStatsTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final BlockStats stats = new BlockStats(now::get);

    private void request(Kind kind, long offset, long length, long tookNs) {
        long start = stats.start();
        now.addAndGet(tookNs);
        stats.done(kind, start, offset, length);
    }

    @Test
    void completedRequestsCountOperationsBytesAndTheirTimesPerKind() {
        request(Kind.READ, 0, 4096, 700);
        request(Kind.READ, 8192, 512, 300);
        request(Kind.WRITE, 1 << 20, 4096, 2_000);
        request(Kind.WRITE, 4096, 512, 1_000);
        request(Kind.FLUSH, 0, 0, 5_000);
        BlockStats.Snapshot s = stats.snapshot();
        assertEquals(2, s.operations(Kind.READ));
        assertEquals(4608, s.bytes(Kind.READ));
        assertEquals(1_000, s.totalNs(Kind.READ));
        assertEquals(2, s.operations(Kind.WRITE));
        assertEquals(4608, s.bytes(Kind.WRITE));
        assertEquals(3_000, s.totalNs(Kind.WRITE));
        assertEquals(1, s.operations(Kind.FLUSH));
        assertEquals(5_000, s.totalNs(Kind.FLUSH));
        assertEquals((1 << 20) + 4096, s.writeHighestOffset(), "the end of the highest write, not the last one");
        assertEquals(0, s.idleNs());
        now.addAndGet(123);
        assertEquals(123, stats.snapshot().idleNs());
    }

    @Test
    void failedAndInvalidRequestsAreCountedApartFromTheTotals() {
        assertEquals(-1, stats.snapshot().idleNs(), "no request yet");
        stats.failed(Kind.WRITE);
        stats.invalid(Kind.READ);
        stats.invalid(Kind.READ);
        BlockStats.Snapshot s = stats.snapshot();
        assertEquals(1, s.failed(Kind.WRITE));
        assertEquals(2, s.invalid(Kind.READ));
        assertEquals(0, s.operations(Kind.READ) + s.operations(Kind.WRITE));
        assertEquals(0, s.writeHighestOffset());
        assertEquals(0, stats.writeRequests());
    }
}
