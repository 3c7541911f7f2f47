package org.jkvm.driver.qmp;

import java.util.Map;

/**
 * One element of {@code query-blockstats}: a drive and the numeric members of its {@code stats} object, under
 * QEMU's names ({@code rd_operations}, {@code wr_bytes}, {@code flush_total_time_ns}, ...; times in nanoseconds).
 *
 * @param device the drive id ({@code drive-virtio-disk0})
 * @param stats  the numeric counters; members the engine left out are absent
 */
public record BlockStatsInfo(String device, Map<String, Long> stats) {
    public BlockStatsInfo {
        stats = Map.copyOf(stats);
    }

    /** The counter {@code name}, 0 when the engine did not give it. */
    public long get(String name) {
        return stats.getOrDefault(name, 0L);
    }
}
