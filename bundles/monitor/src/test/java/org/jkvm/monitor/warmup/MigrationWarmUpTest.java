package org.jkvm.monitor.warmup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;

import org.jkvm.testkit.Await;
import org.jkvm.vmstate.ProgressLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The engine's migration warm-up: scratch migrations that complete and leave nothing behind, on the injected thread
 * factory, timed by the injected clock, stopped at once by a real migration and never started again afterwards.
 */
class MigrationWarmUpTest {
    /** Threads the warm-up asked for, made by the production factory. */
    private final List<Thread> made = new CopyOnWriteArrayList<>();
    private final ThreadFactory recording = r -> {
        Thread t = WarmUpThreads.background().newThread(r);
        made.add(t);
        return t;
    };
    /** A clock that moves 5 ms per reading. */
    private final AtomicLong ticks = new AtomicLong();
    private final MigrationWarmUp warmUp = new MigrationWarmUp(recording, () -> ticks.addAndGet(5_000_000));

    @AfterEach
    void forget() throws InterruptedException {
        warmUp.stopAndWait(60_000);
        System.clearProperty("jkvm.migration.warmup");
    }

    @Test
    void theScratchMigrationsCompleteAndLeaveNoThreadBehind() {
        Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
        assertTrue(warmUp.run(), "every scratch migration completed");
        assertEquals(MigrationWarmUp.ROUNDS, warmUp.lastCompleted());
        assertEquals(5_000_000, warmUp.lastRunNanos(), "timed by the injected clock: one step between two readings");
        assertTrue(made.isEmpty(), "run() works on the caller's thread");
        Await.until("the scratch VMs' threads end", () -> Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !before.contains(t) && t.isAlive())
                .noneMatch(t -> t.getName().startsWith("migration") || t.getName().startsWith("vcpu")));
    }

    @Test
    void stopEndsARunningWarmUpAndNoneStartsAfterwards() throws Exception {
        warmUp.startInBackground(List.of());
        assertEquals(1, made.size(), "the warm-up runs on one thread of the injected factory");
        Thread t = made.get(0);
        assertTrue(t.isDaemon() && t.getPriority() == Thread.MIN_PRIORITY, "a background daemon thread");
        warmUp.stopAndWait(60_000); // at once: as a real migrate right after start-up
        assertFalse(t.isAlive(), "the warm-up thread ended after stop");
        assertTrue(warmUp.lastCompleted() < MigrationWarmUp.ROUNDS,
                "it stopped early: " + warmUp.lastCompleted() + " scratch migrations completed");
        warmUp.startInBackground(List.of());
        assertEquals(1, made.size(), "no warm-up starts after stop (a real migration has begun)");
    }

    @Test
    void aWarmUpLeftAloneCompletesEveryScratchMigrationQuietly() throws Exception {
        warmUp.startInBackground(List.of());
        warmUp.startInBackground(List.of());
        assertEquals(1, made.size(), "once per instance");
        made.get(0).join(120_000);
        assertFalse(made.get(0).isAlive());
        assertEquals(MigrationWarmUp.ROUNDS, warmUp.lastCompleted());
    }

    @Test
    void theBackgroundThreadsAreQuietAndTheStartupOnesAreNot() throws Exception {
        boolean[] quiet = new boolean[2];
        Thread bg = WarmUpThreads.background().newThread(() -> quiet[0] = ProgressLog.isQuiet());
        Thread st = WarmUpThreads.startup().newThread(() -> quiet[1] = ProgressLog.isQuiet());
        bg.start();
        st.start();
        bg.join();
        st.join();
        assertTrue(quiet[0], "scratch VMs' progress lines go to debug");
        assertFalse(quiet[1], "start-up threads log as usual");
        assertTrue(st.isDaemon() && st.getPriority() == Thread.NORM_PRIORITY);
    }

    @Test
    void thePropertySwitchesItOff() {
        System.setProperty("jkvm.migration.warmup", "false");
        assertFalse(MigrationWarmUp.enabled());
        warmUp.startInBackground(List.of());
        assertTrue(made.isEmpty());
    }

    @Test
    void startupPrewarmRunsOnceOnTheInjectedThreadsAndItsNativeClassesExist() throws Exception {
        List<Thread> startup = new CopyOnWriteArrayList<>();
        StartupPrewarm p = new StartupPrewarm(r -> {
            Thread t = WarmUpThreads.startup().newThread(r);
            startup.add(t);
            return t;
        });
        p.awaitLogging(); // not started: returns at once
        p.start();
        p.start();
        assertEquals(2, startup.size(), "logging and native set-up, once");
        p.awaitLogging();
        for (Thread t : startup) {
            t.join(60_000);
        }
        // Found without initializing them: a rename there must be followed in NATIVE_CLASSES.
        for (String name : StartupPrewarm.NATIVE_CLASSES) {
            Class.forName(name, false, StartupPrewarm.class.getClassLoader());
        }
    }
}
