package org.jkvm.monitor;

import java.util.List;
import java.util.Map;

import org.jkvm.devices.virtio.blk.BlockStats;
import org.jkvm.devices.virtio.blk.BlockStats.Kind;
import org.jkvm.engine.BlockDeviceStats;
import org.jkvm.engine.EngineControl;

/**
 * The block commands of the monitors: QMP {@code query-blockstats} (its reply shape as QEMU gives it: one object
 * per drive with {@code device}, {@code qdev} and a {@code stats} object whose members are QEMU's BlockDeviceStats
 * names, times in nanoseconds) and HMP {@code info blockstats} (one line per drive, QEMU's field order).
 * Thread-safe (reads the engine's counters).
 */
final class BlockCommands {
    private BlockCommands() {
    }

    /** Adds the commands to both monitors. */
    static void register(EngineControl engine, Qmp qmp, Hmp hmp) {
        qmp.register("query-blockstats", a -> engine.blockStats().stream().map(BlockCommands::qmp).toList());
        hmp.register("info blockstats", "info blockstats -- show the block devices' I/O statistics",
                a -> hmp(engine.blockStats()));
    }

    /** One element of {@code query-blockstats}. */
    static Map<String, Object> qmp(BlockDeviceStats d) {
        return Qmp.map("device", d.device(), "qdev", d.qdev(), "stats", stats(d.stats()));
    }

    private static Map<String, Object> stats(BlockStats.Snapshot s) {
        Map<String, Object> m = Qmp.map(
                "rd_bytes", s.bytes(Kind.READ), "wr_bytes", s.bytes(Kind.WRITE), "unmap_bytes", 0L,
                "rd_operations", s.operations(Kind.READ), "wr_operations", s.operations(Kind.WRITE),
                "flush_operations", s.operations(Kind.FLUSH), "unmap_operations", 0L,
                "rd_merged", 0L, "wr_merged", 0L, "unmap_merged", 0L,
                "rd_total_time_ns", s.totalNs(Kind.READ), "wr_total_time_ns", s.totalNs(Kind.WRITE),
                "flush_total_time_ns", s.totalNs(Kind.FLUSH), "unmap_total_time_ns", 0L,
                "wr_highest_offset", s.writeHighestOffset(),
                "invalid_rd_operations", s.invalid(Kind.READ), "invalid_wr_operations", s.invalid(Kind.WRITE),
                "invalid_flush_operations", s.invalid(Kind.FLUSH), "invalid_unmap_operations", 0L,
                "failed_rd_operations", s.failed(Kind.READ), "failed_wr_operations", s.failed(Kind.WRITE),
                "failed_flush_operations", s.failed(Kind.FLUSH), "failed_unmap_operations", 0L);
        if (s.idleNs() >= 0) {
            m.put("idle_time_ns", s.idleNs()); // QEMU leaves it out before the first request
        }
        m.put("account_invalid", true);
        m.put("account_failed", true);
        m.put("timed_stats", List.of());
        return m;
    }

    /** {@code info blockstats}: {@code DEVICE: rd_bytes=N wr_bytes=N ... idle_time_ns=N} per drive. */
    static String hmp(List<BlockDeviceStats> all) {
        StringBuilder b = new StringBuilder();
        for (BlockDeviceStats d : all) {
            BlockStats.Snapshot s = d.stats();
            b.append(d.device()).append(':')
                    .append(" rd_bytes=").append(s.bytes(Kind.READ))
                    .append(" wr_bytes=").append(s.bytes(Kind.WRITE))
                    .append(" rd_operations=").append(s.operations(Kind.READ))
                    .append(" wr_operations=").append(s.operations(Kind.WRITE))
                    .append(" flush_operations=").append(s.operations(Kind.FLUSH))
                    .append(" wr_total_time_ns=").append(s.totalNs(Kind.WRITE))
                    .append(" rd_total_time_ns=").append(s.totalNs(Kind.READ))
                    .append(" flush_total_time_ns=").append(s.totalNs(Kind.FLUSH))
                    .append(" rd_merged=0 wr_merged=0")
                    .append(" idle_time_ns=").append(Math.max(0, s.idleNs())).append('\n');
        }
        return b.toString().stripTrailing();
    }
}
