package org.jkvm.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MigrationStatsTest {
    @Test
    void hmpTextHasEveryFieldOfInfoMigrate() {
        MigrationStats s = new MigrationStats(MigrationStatus.ACTIVE, 1234, 456, 0, 12, 10 << 20, 3 << 20,
                256 << 20, 60000, 2000, 5000, 3, 845.25, 4096, 20, null);
        String t = s.toHmpText();
        for (String line : new String[] {"Migration status: active", "total time: 1234 ms",
                "expected downtime: 456 ms", "setup: 12 ms", "transferred ram: 10240 kbytes",
                "throughput: 845.25 mbps", "remaining ram: 3072 kbytes", "total ram: 262144 kbytes",
                "duplicate: 60000 pages", "normal: 2000 pages", "normal bytes: 8000 kbytes", "dirty sync count: 3",
                "page size: 4 kbytes", "dirty pages rate: 5000 pages", "cpu throttle percentage: 20"}) {
            assertTrue(t.contains(line + "\n"), "missing '" + line + "' in:\n" + t);
        }
        MigrationStats failed = new MigrationStats(MigrationStatus.FAILED, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4096, 0,
                "the destination refused the migration: x");
        assertTrue(failed.toHmpText().contains("error description: the destination refused the migration: x"));
        MigrationStats done = new MigrationStats(MigrationStatus.COMPLETED, 1, 0, 42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4096,
                0, null);
        assertTrue(done.toHmpText().contains("downtime: 42 ms\n"));
        assertEquals("cancelled", MigrationStatus.CANCELLED.wireName());
    }

    @Test
    void parametersNameTheBadSetting() {
        MigrationParameters d = MigrationParameters.defaults();
        assertEquals(128L << 20, d.maxBandwidthBytesPerSec());
        assertEquals(300, d.downtimeLimitMs());
        assertTrue(assertThrows(MigrationException.class, () -> d.withMaxBandwidth(-1)).getMessage()
                .contains("max-bandwidth"));
        assertTrue(assertThrows(MigrationException.class, () -> d.withDowntimeLimit(-5)).getMessage()
                .contains("downtime-limit"));
        assertThrows(MigrationException.class, () -> d.withThrottleSteps(0, 10, 99));
    }
}
