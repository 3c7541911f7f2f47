package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** An engine's migration warm-up: scratch migrations that complete, leave nothing behind and yield at once. */
class MigrationWarmUpTest {
    @AfterEach
    void forget() {
        MigrationWarmUp.reset();
        System.clearProperty("jkvm.migration.warmup");
    }

    @Test
    void theScratchMigrationsCompleteAndLeaveNoThreadBehind() throws Exception {
        Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
        assertTrue(MigrationWarmUp.run(), "every scratch migration completed");
        long end = System.currentTimeMillis() + 10_000;
        List<String> left;
        do {
            Thread.sleep(20);
            left = Thread.getAllStackTraces().keySet().stream().filter(t -> !before.contains(t))
                    .filter(t -> t.getName().startsWith("migration") || t.getName().startsWith("vcpu"))
                    .map(Thread::getName).toList();
        } while (!left.isEmpty() && System.currentTimeMillis() < end);
        assertTrue(left.isEmpty(), "threads of the scratch VMs still run: " + left);
    }

    @Test
    void stopEndsARunningWarmUpPromptlyAndNoneStartsAfterwards() throws Exception {
        MigrationWarmUp.startInBackground();
        Thread t = warmUpThread();
        assertNotNull(t, "the warm-up runs on its own thread");
        long t0 = System.nanoTime();
        MigrationWarmUp.stopAndWait(5000); // at once: as a real migrate right after start-up
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertFalse(t.isAlive(), "the warm-up thread ended after stop");
        assertTrue(ms < 3000, "stop took " + ms + " ms");
        assertTrue(MigrationWarmUp.lastCompleted() < MigrationWarmUp.ROUNDS,
                "it stopped early: " + MigrationWarmUp.lastCompleted() + " scratch migrations completed");
        MigrationWarmUp.startInBackground();
        assertNull(warmUpThread(), "no warm-up starts after stop (a real migration has begun)");
    }

    @Test
    void aWarmUpLeftAloneCompletesEveryScratchMigration() throws Exception {
        MigrationWarmUp.startInBackground();
        Thread t = warmUpThread();
        assertNotNull(t);
        t.join(30_000);
        assertFalse(t.isAlive());
        assertEquals(MigrationWarmUp.ROUNDS, MigrationWarmUp.lastCompleted());
    }

    @Test
    void thePropertySwitchesItOff() {
        System.setProperty("jkvm.migration.warmup", "false");
        assertFalse(MigrationWarmUp.enabled());
        MigrationWarmUp.startInBackground();
        assertNull(warmUpThread());
    }

    private static Thread warmUpThread() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("migration-warm-up") && t.isAlive()).findFirst().orElse(null);
    }
}
