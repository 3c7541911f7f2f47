package org.jkvm.migration;

/**
 * The measured values of one migration job, updated by the migration thread and read by {@code info migrate}
 * from others. Package-private helper of {@link OutgoingMigration}.
 */
final class JobCounters {
    private final NanoClock clock;
    private final long totalBytes;
    private final long startNanos;
    private volatile MigrationStatus status = MigrationStatus.SETUP;
    private volatile String error;
    private volatile long setupNanos = -1;
    private volatile long endNanos = -1;
    private volatile long downtimeStart = -1;
    private volatile long downtimeEnd = -1;
    /** Bytes marked for sending when the current round began (all of RAM for round 0). */
    private volatile long remainingBytes;
    /** Pages sent (zero or not) before the current round began, so the remaining figure falls as it runs. */
    private volatile long roundBasePages;
    private volatile long dirtyPagesRate;
    private volatile long syncCount;
    private volatile long bandwidth;
    private volatile long expectedDowntimeMs;
    private volatile boolean acknowledged;

    JobCounters(NanoClock clock, long totalBytes) {
        this.clock = clock;
        this.totalBytes = totalBytes;
        this.startNanos = clock.nanoTime();
        this.remainingBytes = totalBytes;
    }

    void status(MigrationStatus s, String err, MigrationListener listener, MigrationStats base) {
        if (s.isFinal()) {
            endNanos = clock.nanoTime();
        }
        error = err;
        status = s;
        try {
            listener.statusChanged(s, snapshotFor(base, s, err));
        } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(JobCounters.class).warn("a migration listener failed: {}", e.toString());
        }
    }

    void setupDone() {
        setupNanos = clock.nanoTime() - startNanos;
    }

    /**
     * A round ended: {@code remaining} bytes are marked for the next one.
     *
     * @param pagesSent pages sent so far in the whole job (zero and normal), where the next round starts counting
     */
    void pass(long remaining, long pagesSent, long dirtyRate, long bandwidthBytesPerSec, long expectedMs) {
        remainingBytes = remaining;
        roundBasePages = pagesSent;
        dirtyPagesRate = dirtyRate;
        bandwidth = bandwidthBytesPerSec;
        expectedDowntimeMs = expectedMs == Long.MAX_VALUE ? -1 : expectedMs;
        syncCount++;
    }

    void remaining(long bytes, long pagesSent) {
        remainingBytes = bytes;
        roundBasePages = pagesSent;
        syncCount++;
    }

    void downtimeStarts() {
        downtimeStart = clock.nanoTime();
    }

    void downtimeEnds() {
        if (downtimeStart >= 0 && downtimeEnd < 0) {
            downtimeEnd = clock.nanoTime();
        }
    }

    void acknowledge() {
        acknowledged = true;
    }

    boolean acknowledged() {
        return acknowledged;
    }

    MigrationStats snapshot(long transferred, long zero, long normal, int throttle) {
        MigrationStatus s = status;
        long now = endNanos >= 0 ? endNanos : clock.nanoTime();
        long downtime = downtimeStart < 0 ? 0 : ((downtimeEnd >= 0 ? downtimeEnd : now) - downtimeStart) / 1_000_000;
        long setup = setupNanos < 0 ? (now - startNanos) / 1_000_000 : setupNanos / 1_000_000;
        return new MigrationStats(s, (now - startNanos) / 1_000_000, Math.max(0, expectedDowntimeMs), downtime,
                setup, transferred, s == MigrationStatus.COMPLETED ? 0 : remainingNow(zero + normal), totalBytes,
                zero, normal,
                dirtyPagesRate, syncCount, bandwidth * 8 / 1e6, 4096, throttle, error);
    }

    /** What the current round has still to send: its marked bytes less the pages sent since it began. */
    private long remainingNow(long pagesSent) {
        return Math.max(0, remainingBytes - Math.max(0, pagesSent - roundBasePages) * 4096);
    }

    private MigrationStats snapshotFor(MigrationStats base, MigrationStatus s, String err) {
        return new MigrationStats(s, base.totalTimeMs(), base.expectedDowntimeMs(), base.downtimeMs(),
                base.setupTimeMs(), base.transferredBytes(), s == MigrationStatus.COMPLETED ? 0 : base.remainingBytes(),
                base.totalBytes(), base.zeroPages(), base.normalPages(), base.dirtyPagesRate(), base.dirtySyncCount(),
                base.mbps(), base.pageSize(), base.throttlePercent(), err);
    }
}
