package org.jkvm.driver;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The job's event wake-up: waits end at once on a signal, none is lost in between, and the timeout still holds. */
class JobSignalTest {
    @Test
    void aSignalEndsTheWaitEarly() throws Exception {
        Job job = new Job(Job.OP_MIGRATION_OUT);
        long seen = job.signals();
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            job.signal();
        });
        long t0 = System.nanoTime();
        t.start();
        job.awaitSignal(seen, 5_000);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        t.join();
        assertTrue(ms >= 40 && ms < 2_000, "woken by the signal after about 50 ms, not the 5 s timeout: " + ms);
    }

    @Test
    void aSignalBeforeTheWaitIsNotLost() {
        Job job = new Job(Job.OP_MIGRATION_IN);
        long seen = job.signals();
        job.requestAbort();
        long t0 = System.nanoTime();
        job.awaitSignal(seen, 5_000);
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 1_000, "an abort request signalled before the wait counts");
    }

    @Test
    void withoutASignalTheWaitTimesOut() {
        Job job = new Job(Job.OP_SAVE);
        long t0 = System.nanoTime();
        job.awaitSignal(job.signals(), 100);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 95 && ms < 3_000, "waited its 100 ms: " + ms);
    }
}
