package org.jkvm.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The token bucket on an adjustable clock: the sleeper advances the clock instead of sleeping. */
class RateLimiterTest {
    static final class AdjustableClock implements NanoClock {
        long now = 1_000_000_000L;

        @Override
        public long nanoTime() {
            return now;
        }
    }

    final AdjustableClock clock = new AdjustableClock();

    @Test
    void burstOfOneWindowThenWaitsForTheDebt() {
        RateLimiter l = new RateLimiter(10_000_000, clock, n -> clock.now += n);
        assertEquals(0, l.reserve(1_000_000), "100 ms of 10 MB/s = 1 MB is free at the start");
        assertEquals(100_000_000, l.reserve(1_000_000), "the next 1 MB costs 100 ms");
        clock.now += 100_000_000;
        assertEquals(50_000_000, l.reserve(500_000), "refilled 1 MB paid the debt; 0.5 MB more costs 50 ms");
    }

    @Test
    void sustainedRateMatchesTheLimit() throws InterruptedException {
        RateLimiter l = new RateLimiter(128L << 20, clock, n -> clock.now += n);
        long start = clock.now;
        long sent = 0;
        for (int i = 0; i < 1000; i++) {
            l.acquire(2 << 20);
            sent += 2 << 20;
        }
        double seconds = (clock.now - start) / 1e9;
        double rate = sent / seconds;
        // 2000 MiB at 128 MiB/s = 15.625 s, less the initial 100 ms burst.
        assertEquals(15.625 - 0.1, seconds, 0.02);
        assertEquals(128.0 * (1 << 20) * 15.625 / 15.525, rate, 128 * (1 << 20) * 0.01);
    }

    @Test
    void idleTimeBuysAtMostOneWindow() {
        RateLimiter l = new RateLimiter(1_000_000, clock, n -> clock.now += n);
        l.reserve(100_000);
        clock.now += 60_000_000_000L;
        assertEquals(0, l.reserve(100_000), "one window (100 KB) is available after a long pause");
        assertEquals(100_000_000, l.reserve(100_000), "but not more");
    }

    @Test
    void zeroIsUnlimitedAndTheRateCanChange() {
        RateLimiter l = new RateLimiter(0, clock, n -> clock.now += n);
        assertEquals(0, l.reserve(Long.MAX_VALUE / 4));
        l.setRate(1_000);
        assertEquals(1_000, l.rate());
        assertEquals(0, l.reserve(100));
        assertEquals(1_000_000_000L, l.reserve(1_000));
        assertThrows(MigrationException.class, () -> l.setRate(-1));
    }
}
