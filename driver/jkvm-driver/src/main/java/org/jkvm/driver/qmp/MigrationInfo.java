package org.jkvm.driver.qmp;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The answer to {@code query-migrate} (QEMU's {@code MigrationInfo}, docs/contracts.md section 4): the current or
 * last migration job of an engine, outgoing or incoming, and why the guest cannot migrate at all, if it cannot.
 * Figures the engine leaves out are empty, so a reader can tell "absent" from 0.
 *
 * @param status             the job's status; {@link MigrationStatus#NONE} before any job
 * @param totalTimeMs        the job's time so far, or in all once it ended ({@code total-time})
 * @param expectedDowntimeMs the downtime the engine expects while it still runs ({@code expected-downtime})
 * @param downtimeMs         the downtime the guest had once completed ({@code downtime})
 * @param setupTimeMs        the time from the start to the first RAM pass ({@code setup-time})
 * @param errorDesc          why a failed job failed ({@code error-desc})
 * @param ram                the RAM figures ({@link RamStats#NONE} when absent)
 * @param cpuThrottlePercent the auto-converge throttle in force ({@code cpu-throttle-percentage})
 * @param blockedReasons     why the guest cannot be migrated, one sentence each ({@code blocked-reasons}); empty
 *                           when it can
 */
public record MigrationInfo(MigrationStatus status, OptionalLong totalTimeMs, OptionalLong expectedDowntimeMs,
                            OptionalLong downtimeMs, OptionalLong setupTimeMs, Optional<String> errorDesc,
                            RamStats ram, OptionalLong cpuThrottlePercent, List<String> blockedReasons) {
    /** The answer before any job: nothing known. */
    public static final MigrationInfo NONE = new MigrationInfo(MigrationStatus.NONE, OptionalLong.empty(),
            OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), Optional.empty(), RamStats.NONE,
            OptionalLong.empty(), List.of());

    /** Copies the reasons. */
    public MigrationInfo {
        blockedReasons = List.copyOf(blockedReasons);
    }

    /** Whether no job has run (the answer carries no status). */
    public boolean noJob() {
        return status == MigrationStatus.NONE;
    }

    /** The downtime libvirt reports: the real one once known, else the expected one, else 0. */
    public long downtimeOrExpectedMs() {
        return downtimeMs.orElse(expectedDowntimeMs.orElse(0));
    }
}
