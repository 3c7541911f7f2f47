package org.jkvm.monitor;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.engine.Vm;
import org.jkvm.engine.VmConfigParser;
import org.jkvm.hypervisor.Accelerator;
import org.jkvm.migration.IncomingMigration;
import org.jkvm.migration.MigrationListener;
import org.jkvm.migration.MigrationParameters;
import org.jkvm.migration.MigrationStats;
import org.jkvm.migration.MigrationStatus;
import org.jkvm.migration.OutgoingMigration;
import org.jkvm.posix.Posix;
import org.jkvm.vmstate.ProgressLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scratch migrations between small paused VMs of this process over loopback TCP, run once so that the
 * engine's first real migration finds the send and receive paths' classes loaded and their loops compiled.
 *
 * <p>Why: an engine is a fresh JVM, and on its first migration the stream code runs interpreted while the JIT
 * compiles it on the same two cores the migration needs (measured here on a 256 MiB guest whose memory is all
 * non-zero: 170 ms of the two engines' compiler-thread CPU inside a 320 ms migration; an idle 1 GiB guest took
 * 140 ms cold and 60-90 ms once both engines had migrated before). QEMU, native code, has no such cost.
 *
 * <p>When: once per process, on a background thread of the lowest scheduling priority: a spare engine starts it
 * while it waits for its command line, an engine started directly right after start-up; it stops as soon as a
 * real migration begins or the engine ends. System property {@code jkvm.migration.warmup=false} turns it off.
 * Nothing of it is visible to the monitor: it has its own VMs and loopback port, no events, and its log lines are
 * debug lines ({@link ProgressLog#quietly}).
 */
final class MigrationWarmUp {
    private static final Logger LOG = LoggerFactory.getLogger(MigrationWarmUp.class);
    /** Scratch RAM per VM, and how much of it holds non-zero data (the rest exercises the zero-page path). */
    private static final String RAM = "32M";
    private static final int DATA_BYTES = 16 << 20;
    /**
     * Scratch migrations (one source, a new destination each time): four carry 16,384 data pages, past the
     * invocation counts at which HotSpot's C2 compiles the per-page code (5,000-15,000), so the real migration
     * does not wait for the compiler.
     */
    static final int ROUNDS = 4;
    private static final long WAIT_MS = 10_000;

    private static final Object LOCK = new Object();
    private static Thread thread;
    /** {@code -accel} options of the scratch VMs. Guarded by LOCK when written. */
    private static volatile List<String> accelOptions = List.of();
    private static volatile boolean stopped;
    private static volatile OutgoingMigration outgoing;
    private static volatile IncomingMigration incoming;
    /** Scratch migrations the last run completed (for tests). */
    private static volatile int lastCompleted;

    private MigrationWarmUp() {
    }

    /** Whether engines warm up their migration paths ({@code jkvm.migration.warmup}, default true). */
    static boolean enabled() {
        return !"false".equals(System.getProperty("jkvm.migration.warmup"));
    }

    /** Starts {@link #run()} on a daemon thread at the lowest priority; once per process, and only if enabled. */
    static void startInBackground() {
        startInBackground(List.of());
    }

    /**
     * As {@link #startInBackground()}, with scratch VMs on {@code accel} (the engine's own backends, so that the
     * warm-up compiles the vCPU state paths the real migration will take; empty: the default).
     */
    static void startInBackground(List<Accelerator> accel) {
        synchronized (LOCK) {
            if (thread != null || stopped || !enabled()) {
                return;
            }
            List<String> options = new ArrayList<>();
            for (Accelerator a : accel) {
                options.addAll(List.of("-accel", a.optionName()));
            }
            accelOptions = List.copyOf(options);
            thread = new Thread(() -> {
                // nice 19 for this thread only (Linux schedules threads as tasks): the guest and a real migration
                // always come first.
                Posix.setThreadNice(Posix.gettid(), 19);
                run();
            }, "migration-warm-up");
            thread.setDaemon(true);
            thread.start();
        }
    }

    /**
     * Stops a running warm-up (a real migration is starting, or the engine ends) without waiting for it: its
     * scratch migration is cancelled and it then closes its VMs. Afterwards no warm-up starts. Idempotent.
     */
    static void stop() {
        synchronized (LOCK) {
            stopped = true;
        }
        OutgoingMigration out = outgoing;
        IncomingMigration in = incoming;
        if (out != null) {
            out.cancel();
        }
        if (in != null) {
            in.cancel();
        }
    }

    /** {@link #stop()}, then waits up to {@code ms} for the warm-up thread to end (the engine's exit). */
    static void stopAndWait(long ms) {
        stop();
        Thread t;
        synchronized (LOCK) {
            t = thread;
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** How many scratch migrations the last run completed, of {@link #ROUNDS} (for tests). */
    static int lastCompleted() {
        return lastCompleted;
    }

    /** For tests: stops a running warm-up and forgets it, so {@link #startInBackground()} works again. */
    static void reset() {
        stopAndWait(5000);
        synchronized (LOCK) {
            thread = null;
            stopped = false;
            lastCompleted = 0;
        }
    }

    /**
     * Runs the scratch migrations on the calling thread: a paused 32 MiB source with 16 MiB of non-zero data
     * migrates, unthrottled, over loopback TCP to a new 32 MiB destination each time; the VMs are gone afterwards.
     * Failures are only logged (a real migration meets and reports the same problem).
     *
     * @return whether all scratch migrations completed
     */
    static boolean run() {
        boolean[] done = new boolean[1];
        ProgressLog.quietly(() -> done[0] = scratchMigration());
        return done[0];
    }

    private static boolean scratchMigration() {
        long t0 = System.nanoTime();
        int completed = 0;
        try (Vm src = Vm.createCold(VmConfigParser.parse(options("-name", "jkvm-warm-up-src", "-m", RAM, "-S")))) {
            fill(src);
            for (int i = 0; i < 16 && !stopped; i++) {
                // The pagemap scan of round 0's set-up: 131,072 entries compile its loop (interpreted, an idle 1 GiB
                // guest's scan took 12-16 ms instead of 1-2).
                src.migratable().memory().regions().forEach(r -> r.populated());
            }
            while (completed < ROUNDS && !stopped && migrateOnce(src)) {
                completed++;
            }
        } catch (RuntimeException | LinkageError e) {
            LOG.debug("the migration warm-up failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        lastCompleted = completed;
        LOG.debug("migration warm-up: {} of {} scratch migrations in {} ms", completed, ROUNDS,
                (System.nanoTime() - t0) / 1_000_000);
        return completed == ROUNDS;
    }

    /**
     * Migrates the (paused) scratch source into a new scratch destination over loopback TCP (a port the kernel
     * picks; the transport most migrations use, and no file to leave behind); true if both ends completed.
     */
    private static boolean migrateOnce(Vm src) throws InterruptedException {
        String listen = "tcp:127.0.0.1:0";
        try (Vm dst = Vm.createCold(VmConfigParser.parse(
                options("-name", "jkvm-warm-up-dst", "-m", RAM, "-S", "-incoming", listen)))) {
            incoming = IncomingMigration.start(new NoAutostart(dst.migratable()), listen, MigrationListener.NONE);
            outgoing = OutgoingMigration.start(src.migratable(), "tcp:127.0.0.1:" + incoming.port(),
                    MigrationParameters.defaults().withMaxBandwidth(Long.MAX_VALUE), MigrationListener.NONE);
            if (stopped) {
                stop(); // stop() may have run between the caller's check and the assignments
            }
            MigrationStats stats = outgoing.await(WAIT_MS);
            MigrationStatus in = incoming.await(WAIT_MS);
            boolean done = stats.status() == MigrationStatus.COMPLETED && in == MigrationStatus.COMPLETED;
            if (!done) {
                outgoing.cancel();
                incoming.cancel();
            }
            return done;
        } finally {
            outgoing = null;
            incoming = null;
        }
    }

    /** A scratch VM's command line: {@code args} and the accelerator options. */
    private static List<String> options(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(accelOptions);
        return all;
    }

    /** Writes a page-varying pattern into the first 16 MiB of {@code vm}'s RAM. */
    private static void fill(Vm vm) {
        ByteBuffer page = ByteBuffer.allocateDirect(1 << 20);
        for (long gpa = 0; gpa < DATA_BYTES && !stopped; gpa += page.capacity()) {
            for (int i = 0; i < page.capacity(); i += 8) {
                page.putLong(i, gpa + i + 1);
            }
            page.clear();
            vm.migratable().memory().write(gpa, page);
        }
    }
}
