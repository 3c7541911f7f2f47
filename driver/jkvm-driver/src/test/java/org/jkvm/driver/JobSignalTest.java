package org.jkvm.driver;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.jkvm.testkit.Await;
import org.junit.jupiter.api.Test;

/**
 * The job's event wake-up: waits end on a signal, none is lost in between, and the timeout still holds. The waits
 * that should end on a signal are given a timeout of ten minutes, far beyond the test's patience ({@link Await}'s
 * 60 s), so they can only pass by being woken.
 */
class JobSignalTest {
    private static final long TEN_MINUTES_MS = TimeUnit.MINUTES.toMillis(10);

    /** Runs {@code job.awaitSignal(seen, TEN_MINUTES_MS)} on a thread of its own. */
    private static Thread waiter(Job job, long seen) {
        Thread t = new Thread(() -> job.awaitSignal(seen, TEN_MINUTES_MS), "job-waiter");
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Test
    void aSignalEndsTheWait() {
        Job job = new Job(Job.OP_MIGRATION_OUT);
        Thread t = waiter(job, job.signals());
        Await.until("the waiter waits", () -> t.getState() == Thread.State.TIMED_WAITING);
        job.signal();
        Await.until("the signal ends the wait", () -> !t.isAlive());
    }

    @Test
    void aSignalBeforeTheWaitIsNotLost() {
        Job job = new Job(Job.OP_MIGRATION_IN);
        long seen = job.signals();
        job.requestAbort();
        Thread t = waiter(job, seen);
        Await.until("an abort request signalled before the wait ends it", () -> !t.isAlive());
    }

    @Test
    void withoutASignalTheWaitLastsItsTimeout() {
        Job job = new Job(Job.OP_SAVE);
        long t0 = System.nanoTime();
        job.awaitSignal(job.signals(), 100);
        long ns = System.nanoTime() - t0;
        // A lower bound only: a loaded host makes the wait longer, never shorter.
        assertTrue(ns >= TimeUnit.MILLISECONDS.toNanos(100), "waited its 100 ms: " + ns + " ns");
    }
}
