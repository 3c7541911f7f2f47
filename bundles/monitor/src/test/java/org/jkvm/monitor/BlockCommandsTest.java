package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import java.util.Map;

import org.jkvm.devices.virtio.blk.BlockStats;
import org.jkvm.engine.BlockDeviceStats;
import org.junit.jupiter.api.Test;

/** {@code query-blockstats} and {@code info blockstats} spell the engine's counters as QEMU does. */
class BlockCommandsTest {
    // READ, WRITE, FLUSH
    private static final BlockStats.Snapshot SNAPSHOT = new BlockStats.Snapshot(new long[] {3, 5, 2},
            new long[] {12288, 20480, 0}, new long[] {300, 5000, 800}, new long[] {0, 1, 0}, new long[] {2, 0, 0},
            1 << 20, 42);
    private static final BlockDeviceStats DISK = new BlockDeviceStats("drive-virtio-disk0",
            "/machine/peripheral-anon/device[0]/virtio-backend", "/images/top.qcow2", SNAPSHOT);

    @Test
    void queryBlockstatsHasQemusMembers() {
        Map<String, Object> m = BlockCommands.qmp(DISK);
        assertEquals("drive-virtio-disk0", m.get("device"));
        assertEquals("/machine/peripheral-anon/device[0]/virtio-backend", m.get("qdev"));
        Map<?, ?> s = (Map<?, ?>) m.get("stats");
        assertEquals(3L, s.get("rd_operations"));
        assertEquals(5L, s.get("wr_operations"));
        assertEquals(2L, s.get("flush_operations"));
        assertEquals(12288L, s.get("rd_bytes"));
        assertEquals(20480L, s.get("wr_bytes"));
        assertEquals(300L, s.get("rd_total_time_ns"));
        assertEquals(5000L, s.get("wr_total_time_ns"));
        assertEquals(800L, s.get("flush_total_time_ns"));
        assertEquals(1L << 20, s.get("wr_highest_offset"));
        assertEquals(1L, s.get("failed_wr_operations"));
        assertEquals(2L, s.get("invalid_rd_operations"));
        assertEquals(42L, s.get("idle_time_ns"));
        assertEquals(true, s.get("account_invalid"));
        assertEquals(List.of(), s.get("timed_stats"));
    }

    @Test
    void idleTimeIsLeftOutBeforeTheFirstRequest() {
        BlockStats.Snapshot fresh = new BlockStats.Snapshot(new long[3], new long[3], new long[3], new long[3],
                new long[3], 0, -1);
        Map<?, ?> s = (Map<?, ?>) BlockCommands.qmp(new BlockDeviceStats("d0", "q", "f", fresh)).get("stats");
        assertFalse(s.containsKey("idle_time_ns"));
        assertEquals(0L, s.get("rd_operations"));
    }

    @Test
    void infoBlockstatsPrintsOneLinePerDriveInQemusOrder() {
        assertEquals("drive-virtio-disk0: rd_bytes=12288 wr_bytes=20480 rd_operations=3 wr_operations=5"
                + " flush_operations=2 wr_total_time_ns=5000 rd_total_time_ns=300 flush_total_time_ns=800"
                + " rd_merged=0 wr_merged=0 idle_time_ns=42", BlockCommands.hmp(List.of(DISK)));
        assertEquals("", BlockCommands.hmp(List.of()));
    }
}
