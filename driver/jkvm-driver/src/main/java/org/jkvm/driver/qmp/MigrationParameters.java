package org.jkvm.driver.qmp;

import java.util.OptionalLong;

/**
 * The migration parameters the driver sets and reads ({@code migrate-set-parameters},
 * {@code query-migrate-parameters}); an empty one is left as the engine has it. Immutable.
 *
 * @param maxBandwidthBytesPerSec the bandwidth limit in bytes per second ({@code max-bandwidth})
 * @param downtimeLimitMs         the longest pause the final pass may cost, in ms ({@code downtime-limit})
 */
public record MigrationParameters(OptionalLong maxBandwidthBytesPerSec, OptionalLong downtimeLimitMs) {
    /** No parameter: sets nothing. */
    public static final MigrationParameters NONE = new MigrationParameters(OptionalLong.empty(), OptionalLong.empty());

    /** These parameters with the bandwidth limit set to {@code bytesPerSec}. */
    public MigrationParameters withMaxBandwidth(long bytesPerSec) {
        return new MigrationParameters(OptionalLong.of(bytesPerSec), downtimeLimitMs);
    }

    /** These parameters with the downtime limit set to {@code ms}. */
    public MigrationParameters withDowntimeLimit(long ms) {
        return new MigrationParameters(maxBandwidthBytesPerSec, OptionalLong.of(ms));
    }
}
