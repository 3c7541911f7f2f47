package org.jkvm.migration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jkvm.migration.ConvergencePolicy.Decision;
import org.jkvm.migration.ConvergencePolicy.Snapshot;
import org.junit.jupiter.api.Test;

/** The policy with plain numbers (QEMU defaults: 300 ms, auto-converge 50 % twice → 20 %, +10 %, cap 99 %). */
class ConvergencePolicyTest {
    static final long MIB = 1 << 20;
    final ConvergencePolicy plain = new ConvergencePolicy(MigrationParameters.defaults());
    final ConvergencePolicy auto = new ConvergencePolicy(MigrationParameters.defaults().withAutoConverge(true));

    @Test
    void expectedDowntimeIsRemainingOverBandwidth() {
        assertEquals(250, ConvergencePolicy.expectedDowntimeMs(32 * MIB, 128 * MIB));
        assertEquals(0, ConvergencePolicy.expectedDowntimeMs(0, 0));
        assertEquals(Long.MAX_VALUE, ConvergencePolicy.expectedDowntimeMs(1, 0));
    }

    @Test
    void switchesOverWhenTheDowntimeFits() {
        // 32 MiB at 128 MiB/s = 250 ms <= 300 ms.
        Decision d = plain.decide(new Snapshot(32 * MIB, 128 * MIB, 128 * MIB, 32 * MIB, 0, 0, true));
        assertTrue(d.switchover());
        assertEquals(250, d.expectedDowntimeMs());
        // 64 MiB at 128 MiB/s = 500 ms > 300 ms.
        Decision d2 = plain.decide(new Snapshot(64 * MIB, 128 * MIB, 128 * MIB, 64 * MIB, 0, 0, true));
        assertFalse(d2.switchover());
        assertEquals(500, d2.expectedDowntimeMs());
        assertEquals(0, d2.throttlePercent(), "no throttle without auto-converge");
    }

    @Test
    void nothingDirtyOrAPausedGuestSwitchesOverAtOnce() {
        assertTrue(plain.decide(new Snapshot(0, 0, 0, 0, 0, 0, true)).switchover());
        assertTrue(plain.decide(new Snapshot(1024 * MIB, 1, 1, 0, 0, 0, false)).switchover());
    }

    @Test
    void autoConvergeStepsLikeQemu() {
        // Dirtying 200 MiB while sending 128 MiB per period: > 50 %, so every period is "high".
        Snapshot s = new Snapshot(200 * MIB, 128 * MIB, 128 * MIB, 200 * MIB, 0, 0, true);
        Decision d1 = auto.decide(s);
        assertEquals(0, d1.throttlePercent());
        assertEquals(1, d1.highDirtyPeriods());
        int throttle = 0;
        int high = 0;
        int[] seen = new int[6];
        for (int i = 0; i < 6; i++) {
            Decision d = auto.decide(new Snapshot(200 * MIB, 128 * MIB, 128 * MIB, 200 * MIB, throttle, high, true));
            throttle = d.throttlePercent();
            high = d.highDirtyPeriods();
            seen[i] = throttle;
        }
        assertArrayEquals(new int[] {0, 20, 20, 30, 30, 40}, seen, "a step every second high period");
        // From 95 % one more step hits the 99 % cap.
        Decision capped = auto.decide(new Snapshot(200 * MIB, 128 * MIB, 128 * MIB, 200 * MIB, 95, 1, true));
        assertEquals(99, capped.throttlePercent());
    }

    @Test
    void aLowDirtyRatioDoesNotThrottle() {
        // Dirtied 60 MiB while sending 128 MiB: 47 % <= 50 %, still not converged (60 MiB / 128 MiB/s = 469 ms).
        Decision d = auto.decide(new Snapshot(60 * MIB, 128 * MIB, 128 * MIB, 60 * MIB, 0, 1, true));
        assertFalse(d.switchover());
        assertEquals(0, d.throttlePercent());
        assertEquals(1, d.highDirtyPeriods());
    }

    @Test
    void aLongerDowntimeLimitConvergesSooner() {
        ConvergencePolicy lax = new ConvergencePolicy(MigrationParameters.defaults().withDowntimeLimit(1000));
        assertTrue(lax.decide(new Snapshot(64 * MIB, 128 * MIB, 128 * MIB, 64 * MIB, 0, 0, true)).switchover());
    }
}
