package org.jkvm.migration;

/**
 * A snapshot of a migration job: everything {@code info migrate} and {@code query-migrate} show. Times are in
 * milliseconds, sizes in bytes, rates per second. Immutable.
 *
 * @param status             the job state
 * @param totalTimeMs        from start until now (or until the end)
 * @param expectedDowntimeMs remaining dirty bytes / measured bandwidth, at the last dirty sync
 * @param downtimeMs         from the source's stop request until the destination had loaded everything (its LOADED
 *                           reply) and the handover byte was sent, once known, else 0; this includes the
 *                           destination's load and restore, which QEMU's {@code downtime} leaves out (QEMU stops at
 *                           the source's end of the stream, with no return path), and not the destination's resume
 *                           after the handover (neither does QEMU's): the guest-visible gap is the source's STOP
 *                           event to the destination's RESUME event
 * @param setupTimeMs        from start until the first page was sent
 * @param transferredBytes   bytes written to the channel
 * @param remainingBytes     dirty RAM not yet sent, at the last sync
 * @param totalBytes         guest RAM size
 * @param zeroPages          pages sent as a ZERO flag (QEMU's {@code duplicate})
 * @param normalPages        pages sent whole
 * @param dirtyPagesRate     pages dirtied per second, measured over the last round
 * @param dirtySyncCount     dirty-log syncs so far (rounds)
 * @param mbps               throughput of the last round, megabits per second
 * @param pageSize           bytes per page
 * @param throttlePercent    auto-converge throttle in force, 0 when off
 * @param errorDesc          why it failed, or null
 */
public record MigrationStats(MigrationStatus status, long totalTimeMs, long expectedDowntimeMs, long downtimeMs,
        long setupTimeMs, long transferredBytes, long remainingBytes, long totalBytes, long zeroPages,
        long normalPages, long dirtyPagesRate, long dirtySyncCount, double mbps, int pageSize, int throttlePercent,
        String errorDesc) {

    /** Bytes carried by normal pages. */
    public long normalBytes() {
        return normalPages * pageSize;
    }

    /** The HMP {@code info migrate} text, in QEMU's layout. */
    public String toHmpText() {
        StringBuilder sb = new StringBuilder();
        sb.append("Migration status: ").append(status.wireName()).append('\n');
        sb.append("total time: ").append(totalTimeMs).append(" ms\n");
        if (status == MigrationStatus.COMPLETED) {
            sb.append("downtime: ").append(downtimeMs).append(" ms\n");
        } else {
            sb.append("expected downtime: ").append(expectedDowntimeMs).append(" ms\n");
        }
        sb.append("setup: ").append(setupTimeMs).append(" ms\n");
        sb.append("transferred ram: ").append(transferredBytes / 1024).append(" kbytes\n");
        sb.append("throughput: ").append(String.format(java.util.Locale.ROOT, "%.2f", mbps)).append(" mbps\n");
        sb.append("remaining ram: ").append(remainingBytes / 1024).append(" kbytes\n");
        sb.append("total ram: ").append(totalBytes / 1024).append(" kbytes\n");
        sb.append("duplicate: ").append(zeroPages).append(" pages\n");
        sb.append("normal: ").append(normalPages).append(" pages\n");
        sb.append("normal bytes: ").append(normalBytes() / 1024).append(" kbytes\n");
        sb.append("dirty sync count: ").append(dirtySyncCount).append('\n');
        sb.append("page size: ").append(pageSize / 1024).append(" kbytes\n");
        sb.append("dirty pages rate: ").append(dirtyPagesRate).append(" pages\n");
        if (throttlePercent > 0) {
            sb.append("cpu throttle percentage: ").append(throttlePercent).append('\n');
        }
        if (errorDesc != null) {
            sb.append("error description: ").append(errorDesc).append('\n');
        }
        return sb.toString();
    }
}
