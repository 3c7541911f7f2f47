package org.jkvm.migration;

/**
 * Decides, after each dirty-log sync, whether to stop the guest for the final pass, and how hard auto-converge
 * throttles it. A pure function of a {@link Snapshot}: no clock, no I/O, so it is tested with plain numbers.
 *
 * <p>Switch over when nothing is dirty, when the guest is paused anyway, or when the expected downtime
 * (remaining dirty bytes / measured bandwidth) fits the downtime limit. Auto-converge follows QEMU: a period in
 * which the guest dirtied more than half of what was sent is "high"; after two high periods the throttle starts
 * at the initial percentage and then grows by the increment, up to the cap.
 */
public final class ConvergencePolicy {
    /**
     * What the loop measured during the period since the previous sync.
     *
     * @param remainingDirtyBytes   dirty pages now waiting, times the page size
     * @param bandwidthBytesPerSec  bytes sent in the period / its duration
     * @param bytesSentInPeriod     bytes written in the period
     * @param bytesDirtiedInPeriod  pages dirtied in the period, times the page size
     * @param throttlePercent       the throttle now in force
     * @param highDirtyPeriods      high periods counted since the last throttle step
     * @param guestRunning          whether the guest runs (a paused guest dirties nothing: switch over at once)
     */
    public record Snapshot(long remainingDirtyBytes, long bandwidthBytesPerSec, long bytesSentInPeriod,
            long bytesDirtiedInPeriod, int throttlePercent, int highDirtyPeriods, boolean guestRunning) {
    }

    /**
     * @param switchover         stop the guest and send the rest now
     * @param expectedDowntimeMs remaining / bandwidth, {@link Long#MAX_VALUE} when the bandwidth is unknown
     * @param throttlePercent    the throttle to apply from now on
     * @param highDirtyPeriods   the counter to pass in the next snapshot
     */
    public record Decision(boolean switchover, long expectedDowntimeMs, int throttlePercent, int highDirtyPeriods) {
    }

    private final MigrationParameters params;

    /** @param params the downtime limit and auto-converge settings */
    public ConvergencePolicy(MigrationParameters params) {
        this.params = params;
    }

    /** The decision for one sync. */
    public Decision decide(Snapshot s) {
        long expected = expectedDowntimeMs(s.remainingDirtyBytes(), s.bandwidthBytesPerSec());
        boolean switchover = s.remainingDirtyBytes() == 0 || !s.guestRunning()
                || expected <= params.downtimeLimitMs();
        int throttle = s.throttlePercent();
        int high = s.highDirtyPeriods();
        if (!switchover && params.autoConverge()) {
            if (s.bytesDirtiedInPeriod() * 2 > s.bytesSentInPeriod()) {
                high++;
            }
            if (high >= 2) {
                high = 0;
                throttle = throttle == 0 ? params.throttleInitialPercent()
                        : Math.min(throttle + params.throttleIncrementPercent(), params.throttleMaxPercent());
            }
        }
        return new Decision(switchover, expected, throttle, high);
    }

    /** {@code remaining / bandwidth} in milliseconds; 0 when nothing remains, MAX when the bandwidth is 0. */
    public static long expectedDowntimeMs(long remainingBytes, long bandwidthBytesPerSec) {
        if (remainingBytes <= 0) {
            return 0;
        }
        if (bandwidthBytesPerSec <= 0) {
            return Long.MAX_VALUE;
        }
        return (long) Math.ceil(remainingBytes * 1000.0 / bandwidthBytesPerSec);
    }
}
