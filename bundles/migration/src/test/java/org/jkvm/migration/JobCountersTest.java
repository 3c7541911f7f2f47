package org.jkvm.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The remaining-RAM figure (virsh's progress bar) falls while a round runs, not only when it ends. */
class JobCountersTest {
    private static final long PAGE = 4096;

    @Test
    void remainingFallsAsPagesAreSentWithinARound() {
        JobCounters c = new JobCounters(System::nanoTime, 100 * PAGE);
        assertEquals(100 * PAGE, c.snapshot(0, 0, 0, 0).remainingBytes(), "round 0 starts with all of RAM");
        assertEquals(50 * PAGE, c.snapshot(0, 30, 20, 0).remainingBytes(), "30 zero + 20 normal pages sent");
        assertEquals(0, c.snapshot(0, 70, 30, 0).remainingBytes());
        c.pass(10 * PAGE, 100, 0, 0, 0);
        assertEquals(10 * PAGE, c.snapshot(0, 70, 30, 0).remainingBytes(), "the next round's dirty pages");
        assertEquals(6 * PAGE, c.snapshot(0, 70, 34, 0).remainingBytes());
        assertEquals(0, c.snapshot(0, 70, 200, 0).remainingBytes(), "never negative");
        c.remaining(0, 120);
        c.status(MigrationStatus.COMPLETED, null, new MigrationListener() { }, c.snapshot(0, 70, 50, 0));
        assertEquals(0, c.snapshot(0, 70, 50, 0).remainingBytes());
    }
}
