package org.jkvm.driver.qmp;

/**
 * The {@code ram} object of a {@code query-migrate} answer: the RAM pass figures of the current or last job.
 * Figures the engine left out read as 0 (the page size as 4096).
 *
 * @param transferredBytes  bytes sent so far ({@code transferred})
 * @param remainingBytes    bytes still to send in this pass ({@code remaining})
 * @param totalBytes        guest RAM size ({@code total})
 * @param duplicatePages    pages sent as zero pages ({@code duplicate})
 * @param normalPages       pages sent whole ({@code normal})
 * @param normalBytes       bytes of those pages ({@code normal-bytes})
 * @param dirtyPagesRate    pages dirtied per second in the last pass ({@code dirty-pages-rate})
 * @param mbps              throughput in megabits per second ({@code mbps})
 * @param dirtySyncCount    dirty-log passes so far ({@code dirty-sync-count})
 * @param pageSizeBytes     the page size ({@code page-size})
 */
public record RamStats(long transferredBytes, long remainingBytes, long totalBytes, long duplicatePages,
                       long normalPages, long normalBytes, long dirtyPagesRate, double mbps, long dirtySyncCount,
                       long pageSizeBytes) {
    /** No figures yet. */
    public static final RamStats NONE = new RamStats(0, 0, 0, 0, 0, 0, 0, 0.0, 0, 4096);
}
