package org.jkvm.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Convergence, auto-converge, cancel and the bandwidth limit, on real time with generous tolerances. */
class ConvergenceLoopbackTest {
    static final long MIB = 1 << 20;
    final List<FakeVm> vms = new ArrayList<>();

    @AfterEach
    void stopVms() {
        vms.forEach(FakeVm::shutdown);
    }

    FakeVm vm(long bytes) {
        FakeVm v = new FakeVm(FakeMemory.of(bytes), "qemu64");
        vms.add(v);
        return v;
    }

    /** 8 MiB rewritten 4 times a second against a 16 MiB/s link: 500 ms expected downtime against 300 ms. */
    FakeVm hotGuest() {
        return vm(32 * MIB).fill(2048, 11).running().dirtying(2048, 8000);
    }

    @Test
    void nonConvergenceIsVisibleAndCancelKeepsTheSourceRunning() throws Exception {
        FakeVm src = hotGuest();
        FakeVm dst = vm(32 * MIB);
        IncomingMigration in = IncomingMigration.start(dst, "tcp:127.0.0.1:0", MigrationListener.NONE);
        List<MigrationStatus> seen = new ArrayList<>();
        OutgoingMigration out = OutgoingMigration.start(src, "tcp:127.0.0.1:" + in.port(),
                MigrationParameters.defaults().withMaxBandwidth(16 * MIB), new MigrationListener() {
                    @Override
                    public void statusChanged(MigrationStatus status, MigrationStats stats) {
                        seen.add(status);
                    }
                });
        long deadline = System.currentTimeMillis() + 20_000;
        while (out.stats().dirtySyncCount() < 4 && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        MigrationStats mid = out.stats();
        assertEquals(MigrationStatus.ACTIVE, mid.status(), mid.toHmpText());
        assertTrue(mid.dirtySyncCount() >= 4, mid.toHmpText());
        assertTrue(mid.expectedDowntimeMs() > 300, "expected downtime stays above the limit: " + mid.toHmpText());
        assertTrue(mid.dirtyPagesRate() * 4096 > 8 * MIB, "dirty rate is reported: " + mid.toHmpText());
        out.cancel();
        MigrationStats end = out.await(5_000);
        assertEquals(MigrationStatus.CANCELLED, end.status(), end.toHmpText());
        assertEquals(List.of(MigrationStatus.SETUP, MigrationStatus.ACTIVE, MigrationStatus.CANCELLED), seen);
        assertTrue(src.isRunning(), "the guest keeps running on the source");
        assertEquals(0, src.throttle());
        assertEquals(MigrationStatus.FAILED, in.await(5_000));
        assertFalse(dst.isRunning());
    }

    @Test
    void autoConvergeThrottlesTheGuestUntilItCompletes() throws Exception {
        FakeVm src = hotGuest();
        FakeVm dst = vm(32 * MIB);
        IncomingMigration in = IncomingMigration.start(dst, "tcp:127.0.0.1:0", MigrationListener.NONE);
        List<Integer> throttles = new ArrayList<>();
        MigrationParameters p = MigrationParameters.defaults().withMaxBandwidth(16 * MIB).withAutoConverge(true)
                .withThrottleSteps(50, 20, 99);
        OutgoingMigration out = OutgoingMigration.start(src, "tcp:127.0.0.1:" + in.port(), p,
                new MigrationListener() {
                    @Override
                    public void passCompleted(MigrationStats stats) {
                        throttles.add(stats.throttlePercent());
                    }
                });
        MigrationStats s = out.await(60_000);
        assertEquals(MigrationStatus.COMPLETED, s.status(), s.toHmpText());
        assertEquals(MigrationStatus.COMPLETED, in.await(10_000), in::error);
        assertTrue(throttles.contains(50) && throttles.stream().anyMatch(t -> t >= 70),
                "the throttle went 50, 70, ...: " + throttles);
        assertEquals(0, src.throttle(), "the throttle is removed at the end");
        dst.pause();
        assertEquals(-1, RamCompare.firstDifference(src.memory(), dst.memory()));
    }

    @Test
    void bandwidthLimitIsHonoured() throws Exception {
        FakeVm src = vm(32 * MIB).fill(8192, 13).running();
        FakeVm dst = vm(32 * MIB);
        IncomingMigration in = IncomingMigration.start(dst, "tcp:127.0.0.1:0", MigrationListener.NONE);
        long limit = 16 * MIB;
        MigrationStats s = OutgoingMigration.start(src, "tcp:127.0.0.1:" + in.port(),
                MigrationParameters.defaults().withMaxBandwidth(limit), MigrationListener.NONE).await(30_000);
        assertEquals(MigrationStatus.COMPLETED, s.status(), s.toHmpText());
        double rate = s.transferredBytes() * 1000.0 / s.totalTimeMs();
        assertTrue(rate <= limit * 1.15 && rate >= limit * 0.5,
                "achieved " + (long) rate + " B/s against a limit of " + limit + ": " + s.toHmpText());
        assertEquals(MigrationStatus.COMPLETED, in.await(5_000));
    }

    @Test
    void theFinalPassIsNotRateLimited() throws Exception {
        // 1 MiB/s, and a 60 s downtime limit so it switches over after round 0 with the whole 1 MiB working set
        // dirty again: throttled, the final pass would take about a second.
        FakeVm src = vm(8 * MIB).fill(256, 17).running().dirtying(256, 4000);
        FakeVm dst = vm(8 * MIB);
        IncomingMigration in = IncomingMigration.start(dst, "tcp:127.0.0.1:0", MigrationListener.NONE);
        MigrationParameters p = MigrationParameters.defaults().withMaxBandwidth(1 * MIB).withDowntimeLimit(60_000);
        MigrationStats s = OutgoingMigration.start(src, "tcp:127.0.0.1:" + in.port(), p, MigrationListener.NONE)
                .await(30_000);
        assertEquals(MigrationStatus.COMPLETED, s.status(), s.toHmpText());
        assertTrue(s.normalPages() >= 256 + 200, "the final pass resent the working set: " + s.toHmpText());
        assertTrue(s.downtimeMs() < 500, "downtime " + s.downtimeMs() + " ms: the final pass was throttled");
        assertEquals(MigrationStatus.COMPLETED, in.await(5_000));
        dst.pause();
        assertEquals(-1, RamCompare.firstDifference(src.memory(), dst.memory()));
    }

    @Test
    void raisingTheSpeedLimitDuringAMigrationTakesEffect() throws Exception {
        FakeVm src = vm(32 * MIB).fill(8192, 19).running();
        FakeVm dst = vm(32 * MIB);
        IncomingMigration in = IncomingMigration.start(dst, "tcp:127.0.0.1:0", MigrationListener.NONE);
        MigrationParameters slow = MigrationParameters.defaults().withMaxBandwidth(2 * MIB);
        OutgoingMigration out = OutgoingMigration.start(src, "tcp:127.0.0.1:" + in.port(), slow,
                MigrationListener.NONE);
        Thread.sleep(300);
        assertEquals(MigrationStatus.ACTIVE, out.stats().status(), "at 2 MiB/s, 32 MiB take 16 s");
        out.setParameters(slow.withMaxBandwidth(0));
        MigrationStats s = out.await(8_000);
        assertEquals(MigrationStatus.COMPLETED, s.status(), s.toHmpText());
        assertTrue(s.totalTimeMs() < 8_000, s.toHmpText());
        assertEquals(MigrationStatus.COMPLETED, in.await(5_000));
    }
}
