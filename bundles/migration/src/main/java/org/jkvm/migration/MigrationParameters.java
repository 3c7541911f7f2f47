package org.jkvm.migration;

/**
 * The tunables of a migration, with QEMU's defaults. Immutable; the {@code with*} methods return a copy.
 *
 * @param maxBandwidthBytesPerSec limit for the iterative rounds ({@code migrate_set_speed}); 0 = unlimited.
 *                                The final stop-and-copy pass is never limited.
 * @param downtimeLimitMs         the largest acceptable pause ({@code migrate_set_downtime}), default 300
 * @param autoConverge            throttle the vCPUs when the guest dirties memory faster than it is sent
 * @param throttleInitialPercent  first throttle step, default 20
 * @param throttleIncrementPercent each further step, default 10
 * @param throttleMaxPercent      the cap, default 99
 * @param handshakeTimeoutMs      how long the source waits for the destination's config reply, default 30 s
 * @param ackTimeoutMs            how long the source waits for the final acknowledgement (or the exec command's
 *                                exit) after the last byte, default 30 s
 */
public record MigrationParameters(long maxBandwidthBytesPerSec, long downtimeLimitMs, boolean autoConverge,
        int throttleInitialPercent, int throttleIncrementPercent, int throttleMaxPercent, long handshakeTimeoutMs,
        long ackTimeoutMs) {
    /** QEMU's default bandwidth limit, 128 MiB/s. */
    public static final long DEFAULT_BANDWIDTH = 128L << 20;
    /** QEMU's default downtime limit, 300 ms. */
    public static final long DEFAULT_DOWNTIME_MS = 300;

    /** Validates the values; each error names the parameter. */
    public MigrationParameters {
        if (maxBandwidthBytesPerSec < 0) {
            throw new MigrationException("max-bandwidth " + maxBandwidthBytesPerSec
                    + " is negative; give bytes per second, or 0 for unlimited");
        }
        if (downtimeLimitMs < 0 || downtimeLimitMs > 2_000_000) {
            throw new MigrationException("downtime-limit " + downtimeLimitMs + " ms is outside 0..2000000 ms");
        }
        if (throttleInitialPercent < 1 || throttleInitialPercent > 99 || throttleIncrementPercent < 1
                || throttleIncrementPercent > 99 || throttleMaxPercent < 1 || throttleMaxPercent > 99) {
            throw new MigrationException("cpu-throttle settings " + throttleInitialPercent + "/"
                    + throttleIncrementPercent + "/" + throttleMaxPercent + " must each be within 1..99 percent");
        }
        if (handshakeTimeoutMs <= 0 || ackTimeoutMs <= 0) {
            throw new MigrationException("migration timeouts must be positive");
        }
    }

    /** QEMU's defaults: 128 MiB/s, 300 ms, no auto-converge, throttle 20/+10/99 %, 30 s timeouts. */
    public static MigrationParameters defaults() {
        return new MigrationParameters(DEFAULT_BANDWIDTH, DEFAULT_DOWNTIME_MS, false, 20, 10, 99, 30_000, 30_000);
    }

    /** A copy with another bandwidth limit (bytes/s, 0 = unlimited). */
    public MigrationParameters withMaxBandwidth(long bytesPerSec) {
        return new MigrationParameters(bytesPerSec, downtimeLimitMs, autoConverge, throttleInitialPercent,
                throttleIncrementPercent, throttleMaxPercent, handshakeTimeoutMs, ackTimeoutMs);
    }

    /** A copy with another downtime limit. */
    public MigrationParameters withDowntimeLimit(long ms) {
        return new MigrationParameters(maxBandwidthBytesPerSec, ms, autoConverge, throttleInitialPercent,
                throttleIncrementPercent, throttleMaxPercent, handshakeTimeoutMs, ackTimeoutMs);
    }

    /** A copy with auto-converge on or off. */
    public MigrationParameters withAutoConverge(boolean on) {
        return new MigrationParameters(maxBandwidthBytesPerSec, downtimeLimitMs, on, throttleInitialPercent,
                throttleIncrementPercent, throttleMaxPercent, handshakeTimeoutMs, ackTimeoutMs);
    }

    /** A copy with other auto-converge steps (percent). */
    public MigrationParameters withThrottleSteps(int initial, int increment, int max) {
        return new MigrationParameters(maxBandwidthBytesPerSec, downtimeLimitMs, autoConverge, initial, increment,
                max, handshakeTimeoutMs, ackTimeoutMs);
    }

    /** A copy with other timeouts. */
    public MigrationParameters withTimeouts(long handshakeMs, long ackMs) {
        return new MigrationParameters(maxBandwidthBytesPerSec, downtimeLimitMs, autoConverge,
                throttleInitialPercent, throttleIncrementPercent, throttleMaxPercent, handshakeMs, ackMs);
    }
}
