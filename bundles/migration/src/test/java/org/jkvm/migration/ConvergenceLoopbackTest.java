package org.jkvm.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.jkvm.testkit.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Convergence, auto-converge, cancel and the bandwidth limit over loopback TCP. What depends on the bandwidth limit
 * runs on a {@link VirtualClock} (the limiter's waits advance the job's clock instead of taking time), so the checks
 * are about bytes and waits, not about how fast this host is; the tests with a dirtying guest wait for states, never
 * for a time.
 */
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

    /**
     * 8 MiB rewritten 4 times a second against a 16 MiB/s link: 500 ms expected downtime against 300 ms. The guest
     * runs for the job's time whenever the bandwidth limit makes the job wait ({@link #guestRunsWhileWaiting}), so
     * its dirty rate is exact in the job's time, whatever this host's load.
     */
    FakeVm hotGuest() {
        return vm(32 * MIB).fill(2048, 11).running().dirtyingOnDemand(2048, 8000);
    }

    /**
     * The limiter's sleeper: the job's clock skips the wait, and the guest runs for all the job's time since it last
     * ran, the wait and the real time the host spent sending since. On a loaded host sending takes longer and the
     * limiter waits less; a guest that ran only for the waits would dirty less per round there and converge early.
     */
    static RateLimiter.Sleeper guestRunsWhileWaiting(FakeVm guest, VirtualClock time) {
        AtomicLong ranUntil = new AtomicLong(time.nanoTime());
        return nanos -> {
            time.skip(nanos);
            long now = time.nanoTime();
            guest.runFor(now - ranUntil.getAndSet(now));
        };
    }

    @Test
    void nonConvergenceIsVisibleAndCancelKeepsTheSourceRunning() throws Exception {
        FakeVm src = hotGuest();
        FakeVm dst = vm(32 * MIB);
        IncomingMigration in = IncomingMigration.start(dst, "tcp:127.0.0.1:0", MigrationListener.NONE);
        List<MigrationStatus> seen = new ArrayList<>();
        VirtualClock time = new VirtualClock();
        OutgoingMigration out = OutgoingMigration.start(src, "tcp:127.0.0.1:" + in.port(),
                MigrationParameters.defaults().withMaxBandwidth(16 * MIB), new MigrationListener() {
                    @Override
                    public void statusChanged(MigrationStatus status, MigrationStats stats) {
                        seen.add(status);
                    }
                }, time, guestRunsWhileWaiting(src, time));
        MigrationStats mid = Await.value("four dirty-log syncs or the end of the job", out::stats,
                st -> st.dirtySyncCount() >= 4 || st.status().isFinal());
        assertEquals(MigrationStatus.ACTIVE, mid.status(), mid.toHmpText());
        // The guest rewrites its 8 MiB working set faster than a 16 MiB/s round sends it, so each round finds it
        // all dirty again: 8 MiB at 16 MiB/s is 500 ms, above the 300 ms limit.
        assertTrue(mid.expectedDowntimeMs() > 300, "expected downtime stays above the limit: " + mid.toHmpText());
        // Its value is the working set found dirty over the round's length, which real time spent sending
        // stretches on a loaded host: only its presence is checked here.
        assertTrue(mid.dirtyPagesRate() > 0, "dirty rate is reported: " + mid.toHmpText());
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
        VirtualClock time = new VirtualClock();
        OutgoingMigration out = OutgoingMigration.start(src, "tcp:127.0.0.1:" + in.port(), p,
                new MigrationListener() {
                    @Override
                    public void passCompleted(MigrationStats stats) {
                        throttles.add(stats.throttlePercent());
                    }
                }, time, guestRunsWhileWaiting(src, time));
        MigrationStats s = out.await(60_000);
        assertEquals(MigrationStatus.COMPLETED, s.status(), s.toHmpText());
        assertEquals(MigrationStatus.COMPLETED, in.await(10_000), in::error);
        assertTrue(throttles.contains(50) && throttles.stream().anyMatch(t -> t >= 70),
                "the throttle went 50, 70, ...: " + throttles);
        assertEquals(0, src.throttle(), "the throttle is removed at the end");
        dst.pause();
        assertEquals(-1, RamCompare.firstDifference(src.memory(), dst.memory()));
    }

    /**
     * Over the whole job, on the job's clock, the average rate stays within the limit: the token bucket lets one
     * 100 ms window (1.6 MiB) go ahead of time, so 32 MiB may go at most 32 / 30.4 = 1.05 times the limit; 1.15 leaves
     * room for the unthrottled header and device state. (That the limiter does not throttle below the limit is
     * {@link RateLimiterTest}'s, to the percent.)
     */
    @Test
    void bandwidthLimitIsHonoured() throws Exception {
        FakeVm src = vm(32 * MIB).fill(8192, 13).running();
        FakeVm dst = vm(32 * MIB);
        IncomingMigration in = IncomingMigration.start(dst, "tcp:127.0.0.1:0", MigrationListener.NONE);
        long limit = 16 * MIB;
        VirtualClock time = new VirtualClock();
        MigrationStats s = OutgoingMigration.start(src, "tcp:127.0.0.1:" + in.port(),
                MigrationParameters.defaults().withMaxBandwidth(limit), MigrationListener.NONE, time, time::skip)
                .await(60_000);
        assertEquals(MigrationStatus.COMPLETED, s.status(), s.toHmpText());
        double rate = s.transferredBytes() * 1000.0 / s.totalTimeMs();
        assertTrue(rate <= limit * 1.15, "achieved " + (long) rate + " B/s against a limit of " + limit + ": "
                + s.toHmpText());
        assertTrue(time.skippedNanos() > 0, "the limiter made the job wait");
        assertEquals(MigrationStatus.COMPLETED, in.await(60_000));
    }

    @Test
    void theFinalPassIsNotRateLimited() throws Exception {
        // 1 MiB/s, and a 60 s downtime limit so it switches over after round 0. Whenever the limiter makes round 0
        // wait, the guest rewrites its whole 1 MiB working set, so the final pass resends all of it: throttled, it
        // would wait too, while the guest is paused.
        FakeVm src = vm(8 * MIB).fill(256, 17).running();
        FakeVm dst = vm(8 * MIB);
        IncomingMigration in = IncomingMigration.start(dst, "tcp:127.0.0.1:0", MigrationListener.NONE);
        MigrationParameters p = MigrationParameters.defaults().withMaxBandwidth(1 * MIB).withDowntimeLimit(60_000);
        VirtualClock time = new VirtualClock();
        AtomicInteger rewrites = new AtomicInteger();
        AtomicInteger waitsWhilePaused = new AtomicInteger();
        RateLimiter.Sleeper guestRunsMeanwhile = nanos -> {
            if (src.isRunning()) {
                src.fill(256, 100 + rewrites.incrementAndGet());
            } else {
                waitsWhilePaused.incrementAndGet();
            }
            time.skip(nanos);
        };
        MigrationStats s = OutgoingMigration.start(src, "tcp:127.0.0.1:" + in.port(), p, MigrationListener.NONE,
                time, guestRunsMeanwhile).await(60_000);
        assertEquals(MigrationStatus.COMPLETED, s.status(), s.toHmpText());
        assertTrue(rewrites.get() > 0, "round 0 was rate limited");
        assertTrue(s.normalPages() >= 2 * 256, "the final pass resent the working set: " + s.toHmpText());
        assertEquals(0, waitsWhilePaused.get(), "the final pass waited for the bandwidth limit");
        assertEquals(MigrationStatus.COMPLETED, in.await(60_000));
        dst.pause();
        assertEquals(-1, RamCompare.firstDifference(src.memory(), dst.memory()));
    }

    @Test
    void raisingTheSpeedLimitDuringAMigrationTakesEffect() throws Exception {
        FakeVm src = vm(32 * MIB).fill(8192, 19).running();
        FakeVm dst = vm(32 * MIB);
        IncomingMigration in = IncomingMigration.start(dst, "tcp:127.0.0.1:0", MigrationListener.NONE);
        MigrationParameters slow = MigrationParameters.defaults().withMaxBandwidth(2 * MIB);
        // The first wait for the 2 MiB/s limit holds the job until the test has lifted the limit; every wait after
        // that would mean the new limit was ignored.
        VirtualClock time = new VirtualClock();
        CountDownLatch waiting = new CountDownLatch(1);
        CountDownLatch lifted = new CountDownLatch(1);
        AtomicBoolean unlimited = new AtomicBoolean();
        AtomicInteger waitsAfter = new AtomicInteger();
        RateLimiter.Sleeper sleeper = nanos -> {
            if (unlimited.get()) {
                waitsAfter.incrementAndGet();
            }
            waiting.countDown();
            lifted.await();
            time.skip(nanos);
        };
        OutgoingMigration out = OutgoingMigration.start(src, "tcp:127.0.0.1:" + in.port(), slow,
                MigrationListener.NONE, time, sleeper);
        assertTrue(waiting.await(60, TimeUnit.SECONDS), "the job waits for the 2 MiB/s limit");
        assertEquals(MigrationStatus.ACTIVE, out.stats().status(), "at 2 MiB/s, 32 MiB take 16 s");
        out.setParameters(slow.withMaxBandwidth(0));
        unlimited.set(true);
        lifted.countDown();
        MigrationStats s = out.await(60_000);
        assertEquals(MigrationStatus.COMPLETED, s.status(), s.toHmpText());
        assertEquals(0, waitsAfter.get(), "the job waited for the old limit after it was lifted");
        assertTrue(s.normalPages() >= 8192, s.toHmpText());
        assertEquals(MigrationStatus.COMPLETED, in.await(60_000));
    }
}
