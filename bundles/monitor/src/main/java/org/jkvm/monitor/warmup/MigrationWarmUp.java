package org.jkvm.monitor.warmup;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.function.LongSupplier;

import org.jkvm.engine.Vm;
import org.jkvm.engine.VmConfigParser;
import org.jkvm.hypervisor.Accelerator;
import org.jkvm.migration.IncomingMigration;
import org.jkvm.migration.MigrationListener;
import org.jkvm.migration.MigrationParameters;
import org.jkvm.migration.MigrationStats;
import org.jkvm.migration.MigrationStatus;
import org.jkvm.migration.OutgoingMigration;
import org.jkvm.vmstate.Migratable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scratch migrations between small paused VMs of this process over loopback TCP, run once so that the engine's
 * first real migration finds the send and receive paths' classes loaded and their loops compiled.
 *
 * <p>Why: an engine is a fresh JVM, and on its first migration the stream code runs interpreted while the JIT
 * compiles it on the same two cores the migration needs (measured here on a 256 MiB guest whose memory is all
 * non-zero: 170 ms of the two engines' compiler-thread CPU inside a 320 ms migration; an idle 1 GiB guest took
 * 140 ms cold and 60-90 ms once both engines had migrated before). QEMU, native code, has no such cost.
 *
 * <p>When: once per process ({@link #startInBackground}), on one thread of the injected factory (production:
 * {@link WarmUpThreads#background()}, nice 19 and quiet): a spare engine starts it while it waits for its command
 * line, an engine started directly right after start-up; it stops as soon as a real migration begins or the engine
 * ends ({@link #stop()}). System property {@code jkvm.migration.warmup=false} turns it off. Nothing of it is visible
 * to the monitor: it has its own VMs and loopback port and no events. The scratch source never runs, so the
 * destination is never resumed. Thread-safe.
 */
public final class MigrationWarmUp {
    private static final Logger LOG = LoggerFactory.getLogger(MigrationWarmUp.class);
    /** Scratch RAM per VM, and how much of it holds non-zero data (the rest exercises the zero-page path). */
    private static final String RAM = "32M";
    private static final int DATA_BYTES = 16 << 20;
    /**
     * Scratch migrations (one source, a new destination each time): four carry 16,384 data pages, past the
     * invocation counts at which HotSpot's C2 compiles the per-page code (5,000-15,000), so the real migration
     * does not wait for the compiler.
     */
    public static final int ROUNDS = 4;
    /**
     * Saves and restores of the scratch VM's device state: the real ones come inside the guest's downtime, and on a
     * fresh engine (one save and one restore before, {@code Vm.warmUp()}) they cost 0.9-1.2 ms of CPU (save) and
     * 1.4-2.4 ms (restore: the CPU section alone 1.3-2.7 ms) where warm code takes about 0.3 each
     * (measured on the software CPU, idle firmware, ten sections: after 150 rounds 0.3 ms, after 400 0.25 ms).
     * System property {@code jkvm.migration.warmup.state-rounds} changes it (0: none; for A/B measurements).
     */
    static final int STATE_ROUNDS = Integer.getInteger("jkvm.migration.warmup.state-rounds", 400);
    private static final long WAIT_MS = 10_000;

    private final ThreadFactory threads;
    private final LongSupplier nanoClock;
    private Thread thread;
    /** {@code -accel} options of the scratch VMs; set before the thread starts. */
    private volatile List<String> accelOptions = List.of();
    private volatile boolean stopped;
    private volatile OutgoingMigration outgoing;
    private volatile IncomingMigration incoming;
    private volatile int lastCompleted;
    private volatile long lastRunNanos;

    /**
     * @param threads   makes the warm-up's one thread (production: {@link WarmUpThreads#background()})
     * @param nanoClock a monotonic clock in nanoseconds (production: {@link System#nanoTime()}), for the run's
     *                  duration in the log and {@link #lastRunNanos()}
     */
    public MigrationWarmUp(ThreadFactory threads, LongSupplier nanoClock) {
        this.threads = threads;
        this.nanoClock = nanoClock;
    }

    /** The production warm-up: {@link WarmUpThreads#background()}, {@link System#nanoTime()}. */
    public static MigrationWarmUp create() {
        return new MigrationWarmUp(WarmUpThreads.background(), System::nanoTime);
    }

    /** Whether engines warm up their migration paths ({@code jkvm.migration.warmup}, default true). */
    public static boolean enabled() {
        return !"false".equals(System.getProperty("jkvm.migration.warmup"));
    }

    /**
     * Starts {@link #run()} on a thread of the factory, with scratch VMs on {@code accel} (the engine's own
     * backends, so that it compiles the vCPU state paths the real migration will take; empty: the default). Once
     * per instance, not after {@link #stop()}, and only if {@link #enabled()}.
     */
    public synchronized void startInBackground(List<Accelerator> accel) {
        if (thread != null || stopped || !enabled()) {
            return;
        }
        List<String> options = new ArrayList<>();
        for (Accelerator a : accel) {
            options.addAll(List.of("-accel", a.optionName()));
        }
        accelOptions = List.copyOf(options);
        thread = threads.newThread(this::run);
        thread.start();
    }

    /**
     * Stops a running warm-up (a real migration is starting, or the engine ends) without waiting for it: its
     * scratch migration is cancelled and it then closes its VMs. Afterwards none starts. Idempotent.
     */
    public void stop() {
        synchronized (this) {
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
    public void stopAndWait(long ms) {
        stop();
        Thread t;
        synchronized (this) {
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

    /** How many scratch migrations the last run completed, of {@link #ROUNDS}. */
    public int lastCompleted() {
        return lastCompleted;
    }

    /** How long the last run took by the injected clock, in nanoseconds. */
    public long lastRunNanos() {
        return lastRunNanos;
    }

    /**
     * Runs the scratch migrations on the calling thread: a paused 32 MiB source with 16 MiB of non-zero data
     * migrates, unthrottled, over loopback TCP to a new 32 MiB destination each time; the VMs are gone afterwards.
     * Failures are only logged (a real migration meets and reports the same problem).
     *
     * @return whether all scratch migrations completed
     */
    public boolean run() {
        long t0 = nanoClock.getAsLong();
        int completed = 0;
        try (Vm src = Vm.createCold(VmConfigParser.parse(options("-name", "jkvm-warm-up-src", "-m", RAM, "-S")))) {
            fill(src);
            for (int i = 0; i < 16 && !stopped; i++) {
                // The pagemap scan of round 0's set-up: 131,072 entries compile its loop (interpreted, an idle 1 GiB
                // guest's scan took 12-16 ms instead of 1-2).
                src.migratable().memory().regions().forEach(r -> r.populated());
            }
            // One scratch migration loads the classes of the whole path, then the state rounds (the downtime's part).
            if (!stopped && migrateOnce(src)) {
                completed++;
            }
            rehearseState(src);
            while (completed < ROUNDS && !stopped && migrateOnce(src)) {
                completed++;
            }
        } catch (RuntimeException | LinkageError e) {
            LOG.debug("the migration warm-up failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        lastCompleted = completed;
        lastRunNanos = nanoClock.getAsLong() - t0;
        LOG.debug("migration warm-up: {} of {} scratch migrations in {} ms", completed, ROUNDS,
                lastRunNanos / 1_000_000);
        return completed == ROUNDS;
    }

    /**
     * Saves the paused scratch VM's state and restores it, {@link #STATE_ROUNDS} times (unless stopped): the same
     * sections as the engine's VM (without its disks and NICs), so the real save and restore run compiled code.
     */
    private void rehearseState(Vm vm) {
        Migratable m = vm.migratable();
        for (int i = 0; i < STATE_ROUNDS && !stopped; i++) {
            m.restoreState(m.saveState());
        }
    }

    /**
     * Migrates the (paused) scratch source into a new scratch destination over loopback TCP (a port the kernel
     * picks; the transport most migrations use, and no file to leave behind); true if both ends completed.
     */
    private boolean migrateOnce(Vm src) throws InterruptedException {
        String listen = "tcp:127.0.0.1:0";
        try (Vm dst = Vm.createCold(VmConfigParser.parse(
                options("-name", "jkvm-warm-up-dst", "-m", RAM, "-S", "-incoming", listen)))) {
            incoming = IncomingMigration.start(dst.migratable(), listen, MigrationListener.NONE);
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
    private List<String> options(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(accelOptions);
        return all;
    }

    /** Writes a page-varying pattern into the first 16 MiB of {@code vm}'s RAM. */
    private void fill(Vm vm) {
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
