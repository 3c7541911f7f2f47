package org.jkvm.migration;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Real time plus the waits it was asked to skip: as the job's {@link NanoClock} with {@link #skip} as the rate
 * limiter's sleeper, a migration sees its bandwidth limit honoured to the byte while the test never waits for it.
 * Thread-safe.
 */
final class VirtualClock implements NanoClock {
    private final AtomicLong skipped = new AtomicLong();

    @Override
    public long nanoTime() {
        return System.nanoTime() + skipped.get();
    }

    /** Advances this clock by {@code nanos} instead of sleeping. */
    void skip(long nanos) {
        skipped.addAndGet(nanos);
    }

    /** All the waits skipped so far, in nanoseconds. */
    long skippedNanos() {
        return skipped.get();
    }
}
