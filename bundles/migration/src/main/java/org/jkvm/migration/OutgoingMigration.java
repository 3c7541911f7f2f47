package org.jkvm.migration;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.jkvm.memory.DirtyBitmap;
import org.jkvm.migration.stream.RamLayout;
import org.jkvm.migration.stream.RamSender;
import org.jkvm.migration.stream.RamWindows;
import org.jkvm.migration.stream.ReturnPath;
import org.jkvm.migration.stream.ReturnPathReader;
import org.jkvm.migration.stream.StreamException;
import org.jkvm.migration.stream.StreamFormat;
import org.jkvm.migration.stream.StreamOut;
import org.jkvm.migration.stream.ThreadCost;
import org.jkvm.migration.transport.Connection;
import org.jkvm.migration.transport.MigrationUri;
import org.jkvm.migration.transport.Transports;
import org.jkvm.vmstate.Migratable;
import org.jkvm.vmstate.ProgressLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source side of one pre-copy migration (the seed's algorithm), on its own thread.
 *
 * <ol>
 *   <li>Setup: connect, send the header and the configuration fingerprint, start dirty logging and send the RAM
 *       layout while the destination checks the fingerprint, then wait for its verdict (tcp/unix).</li>
 *   <li>Round 0 sends all RAM (a long run of zero pages costs one 17-byte ZERO_RUN record), then each round
 *       sends the pages dirtied during the previous one, under the bandwidth limit. After each dirty-log sync the
 *       {@link ConvergencePolicy} decides to go on (maybe throttling the vCPUs) or to switch over.</li>
 *   <li>Switch-over: flush the block devices while the guest still runs, pause it, flush them again (little is
 *       left), send the last dirty pages and the device state, give the block devices' write locks up, send EOF,
 *       all with no bandwidth limit ({@link Switchover}).</li>
 *   <li>Wait for the destination's LOADED acknowledgement and answer with the handover byte (the return path's
 *       reader thread answers as it reads LOADED: {@link Handover}); the source then
 *       stays paused (postmigrate). Over exec: wait for the command to exit 0.</li>
 * </ol>
 *
 * <p>Any failure or cancel before the acknowledgement stops dirty logging, removes the throttle, takes the block
 * devices' write locks back and resumes the guest if this job paused it. The one exception: once LOADED has
 * arrived the source never resumes, even if the handover fails afterwards, because the destination may already run
 * the guest (two copies must never run).
 * Thread-safe: {@link #stats()}, {@link #cancel()} and {@link #setParameters} may be called from any thread.
 */
public final class OutgoingMigration {
    private static final Logger LOG = LoggerFactory.getLogger(OutgoingMigration.class);
    private static final int BUFFER_BYTES = 4 << 20;

    private final Migratable vm;
    private final MigrationUri uri;
    private final MigrationListener listener;
    private final NanoClock clock;
    private final RateLimiter limiter;
    private final Object wake = new Object();
    private final CountDownLatch done = new CountDownLatch(1);
    private final JobCounters counters;
    private final Handover handover;
    private final PhaseTimer phases;
    private volatile MigrationParameters params;
    private volatile boolean cancelRequested;
    private volatile boolean abortSignalled;
    private volatile Connection connection;
    private volatile ReturnPathReader returnPath;
    private volatile RamSender sender;
    private volatile StreamOut out;
    private Thread thread;

    private OutgoingMigration(Migratable vm, MigrationUri uri, MigrationParameters params,
            MigrationListener listener, NanoClock clock, RateLimiter.Sleeper sleeper) {
        this.vm = vm;
        this.uri = uri;
        this.params = params;
        this.listener = listener;
        this.clock = clock;
        this.limiter = new RateLimiter(params.maxBandwidthBytesPerSec(), clock,
                sleeper != null ? sleeper : this::sleepUnlessAborted);
        this.counters = new JobCounters(clock, vm.memory().totalBytes());
        this.handover = new Handover(counters, clock);
        this.phases = new PhaseTimer(clock);
    }

    /**
     * Parses {@code uri} and starts migrating {@code vm} on a new thread.
     *
     * @throws MigrationException at once for an invalid URI or a VM that {@link Migratable#migrationBlocker()} blocks
     */
    public static OutgoingMigration start(Migratable vm, String uri, MigrationParameters params,
            MigrationListener listener) {
        return start(vm, uri, params, listener, NanoClock.SYSTEM, null);
    }

    /**
     * {@link #start(Migratable, String, MigrationParameters, MigrationListener)} with the job's clock and the rate
     * limiter's waiting injected: tests run the job on a clock that a sleeper advances instead of sleeping.
     *
     * @param sleeper how the bandwidth limit waits; null for the real wait, which a cancel cuts short
     */
    static OutgoingMigration start(Migratable vm, String uri, MigrationParameters params,
            MigrationListener listener, NanoClock clock, RateLimiter.Sleeper sleeper) {
        if (vm.migrationBlocker() != null) {
            throw new MigrationException("migration is blocked: " + vm.migrationBlocker());
        }
        OutgoingMigration m = new OutgoingMigration(vm, MigrationUri.parse(uri), params, listener, clock, sleeper);
        m.thread = new Thread(m::run, "migration-out");
        m.thread.setDaemon(true);
        m.thread.start();
        return m;
    }

    /** The current statistics (what {@code info migrate} shows). */
    public MigrationStats stats() {
        RamSender s = sender;
        StreamOut o = out;
        return counters.snapshot(o == null ? 0 : o.bytesWritten(), s == null ? 0 : s.zeroPages(),
                s == null ? 0 : s.normalPages(), vm.throttle());
    }

    /** Waits up to {@code timeoutMs} for the job to end; returns the statistics either way. */
    public MigrationStats await(long timeoutMs) throws InterruptedException {
        done.await(timeoutMs, TimeUnit.MILLISECONDS);
        return stats();
    }

    /** Whether the job has ended. */
    public boolean isDone() {
        return done.getCount() == 0;
    }

    /** {@code migrate_cancel}: ends the job; the guest keeps running on the source. A no-op once ended. */
    public void cancel() {
        if (isDone() || !handover.disarm()) {
            return;
        }
        cancelRequested = true;
        signalAbort();
        Connection c = connection;
        if (c != null) {
            c.close();
        }
    }

    /** Changes the bandwidth and downtime limits of the running job ({@code migrate_set_speed/_downtime}). */
    public void setParameters(MigrationParameters p) {
        params = p;
        limiter.setRate(p.maxBandwidthBytesPerSec());
    }

    private void run() {
        boolean pausedByUs = false;
        Runnable lower = Migratable.NO_PRIORITY_CHANGE;
        ThreadCost cost = ThreadCost.now();
        try {
            counters.status(MigrationStatus.SETUP, null, listener, stats());
            sendConfig();
            List<DirtyBitmap> bitmaps = RamSender.allMarked(vm.memory());
            vm.startDirtyLog();
            RamWindows windows = new RamWindows(vm.memory());
            sender = new RamSender(windows, bitmaps, out);
            // Round 0 sends unpopulated pages as ZERO unread; a later write is in the next sync (round 0 only).
            List<DirtyBitmap> populated = RamSender.populated(vm.memory());
            sender.firstPassPopulated(populated);
            phases.mark("dirty-log start");
            List<RamLayout.Extent> layout = RamLayout.of(windows, populated);
            out.ramLayout(layout); // lets the destination allocate ahead
            out.flush();
            phases.mark("ram layout (" + layout.size() + " extents)");
            StreamOut.warmUpCodec(); // the device records' first deflate comes inside the downtime
            awaitConfigOk(); // the destination checked CONFIG meanwhile; a refusal still stops here, before any RAM
            // Made here, not at the switch-over: loading and linking a class inside the downtime cost 0.4-2 ms of CPU.
            Switchover switchover = new Switchover(vm, uri, connection, returnPath, out, sender, handover, phases,
                    counters);
            counters.setupDone();
            counters.status(MigrationStatus.ACTIVE, null, listener, stats());
            int round = iterate(bitmaps);
            catchUp(round - 1);
            boolean running = vm.isRunning();
            // Flushed while the guest runs, so the flush inside the downtime only has the last moments' writes.
            vm.preflushBlockDevices();
            phases.markStamped("block pre-flush");
            counters.downtimeStarts();
            if (running) {
                vm.pause();
                pausedByUs = true;
            }
            lower = vm.raiseDowntimePriority(); // after the pause, which the vCPU thread must answer first
            phases.markStamped("pause");
            switchover.finalPass(bitmaps, round, running, params);
            vm.stopDirtyLog();
            vm.setThrottle(0);
            switchover.awaitAcknowledgement(params);
            phases.markStamped("acknowledgement");
            lower.run();
            counters.downtimeEnds();
            counters.status(MigrationStatus.COMPLETED, null, listener, stats());
            ProgressLog.info(LOG, "migration to {} completed, send thread {}: {}; downtime timeline: {}", uri,
                    ThreadCost.since(cost), phases, phases.timeline());
        } catch (Throwable e) {
            fail(e, pausedByUs);
        } finally {
            lower.run();
            Connection c = connection;
            if (c != null) {
                c.close();
            }
            done.countDown();
        }
    }

    /** Connects and sends the header and CONFIG; the destination's verdict is read later ({@link #awaitConfigOk}). */
    private void sendConfig() throws IOException {
        connection = Transports.connect(uri, (int) Math.min(Integer.MAX_VALUE, params.handshakeTimeoutMs()));
        phases.mark("connect");
        if (cancelRequested) {
            throw new IOException("cancelled");
        }
        out = new StreamOut(connection.out(), BUFFER_BYTES, limiter::acquire);
        out.header();
        Map<String, String> cfg = vm.configFingerprint();
        phases.mark("fingerprint");
        out.config(cfg);
        out.flush();
        if (connection.hasReturnPath()) {
            // Raised for its life: it blocks, and it wakes a few times per job; LOADED's wake-up is in the downtime.
            returnPath = new ReturnPathReader(connection.in(), this::signalAbort, this::raiseReaderPriority);
            Connection c = connection;
            returnPath.onLoaded(() -> handover.onLoaded(c.out()));
        }
    }

    /** tcp/unix: waits for CONFIG_OK; REFUSED or FAILED (or silence) fail the migration before any RAM is sent. */
    private void awaitConfigOk() throws InterruptedException {
        if (returnPath != null) {
            ReturnPath.Message m = returnPath.next(params.handshakeTimeoutMs());
            if (m == null) {
                throw new MigrationException("the destination at " + uri + " did not answer the handshake within "
                        + params.handshakeTimeoutMs() + " ms; check that it runs with -incoming " + uri);
            }
            if (m.type() != StreamFormat.RP_CONFIG_OK) {
                throw new MigrationException(ReturnPathReader.describe(m, uri.toString()));
            }
        }
        phases.mark("handshake (rest)");
    }

    /** Round 0 and the dirty rounds; returns the number of the round the final pass will have. */
    private int iterate(List<DirtyBitmap> bitmaps) throws IOException {
        int round = 0;
        int high = 0;
        out.throttled(true);
        while (true) {
            long start = clock.nanoTime();
            long bytesBefore = out.bytesWritten();
            long pages = sender.sendMarked(this::shouldAbort);
            checkAbort();
            out.roundEnd(round, pages);
            out.flush();
            vm.syncDirtyLog(bitmaps);
            long dirty = RamSender.count(bitmaps);
            long elapsed = Math.max(clock.nanoTime() - start, 1_000_000L);
            long sent = out.bytesWritten() - bytesBefore;
            long bandwidth = (long) (sent * 1e9 / elapsed);
            // A new policy each round: migrate_set_downtime may change the limit while the job runs.
            ConvergencePolicy.Decision d = new ConvergencePolicy(params).decide(new ConvergencePolicy.Snapshot(
                    dirty * StreamFormat.PAGE_SIZE, bandwidth, sent, dirty * StreamFormat.PAGE_SIZE,
                    vm.throttle(), high, vm.isRunning()));
            counters.pass(dirty * StreamFormat.PAGE_SIZE, sender.zeroPages() + sender.normalPages(),
                    (long) (dirty * 1e9 / elapsed), bandwidth, d.expectedDowntimeMs());
            phases.mark("round " + round + " (" + pages + " pages)");
            listener.passCompleted(stats());
            round++;
            if (d.switchover()) {
                return round;
            }
            high = d.highDirtyPeriods();
            if (d.throttlePercent() != vm.throttle()) {
                LOG.info("auto-converge: throttling the guest to {}% after round {}", d.throttlePercent(), round);
                vm.setThrottle(d.throttlePercent());
            }
        }
    }

    /**
     * Waits (while the guest still runs) until the destination has loaded everything sent so far, so the pause does
     * not include draining a backlog from the socket buffers. Bounded by the downtime limit, at least 1 s.
     */
    private void catchUp(int lastRound) throws IOException, InterruptedException {
        ReturnPathReader rp = returnPath;
        if (rp != null) {
            rp.awaitRound(lastRound, Math.max(1_000, params.downtimeLimitMs()));
            checkAbort();
            phases.mark("destination catch-up");
        }
    }

    private void fail(Throwable e, boolean pausedByUs) {
        MigrationStatus status = cancelRequested && !counters.acknowledged() ? MigrationStatus.CANCELLED
                : MigrationStatus.FAILED;
        String reason = reason(e);
        if (!counters.acknowledged() && handover.disarm()) { // exec acknowledges without a handover byte
            try {
                vm.stopDirtyLog();
                vm.setThrottle(0);
                vm.activateBlockDevices(); // the source is the only writer again before its guest runs
                if (pausedByUs) {
                    vm.resume();
                }
            } catch (RuntimeException ex) {
                LOG.error("cannot restore the source guest after the failed migration: {}", ex.getMessage(), ex);
                reason = reason + "; restoring the source guest failed too: " + ex.getMessage();
            }
        }
        if (status == MigrationStatus.CANCELLED) {
            // Asked for (migrate_cancel, or the engine's own warm-up rehearsal cut short by a quit): not a warning.
            LOG.info("migration to {} cancelled (phases: {})", uri, phases);
        } else {
            LOG.warn("migration to {} {}: {} (phases: {})", uri, status.wireName(), reason, phases);
        }
        counters.downtimeEnds();
        counters.status(status, status == MigrationStatus.FAILED ? reason : null, listener, stats());
    }

    /**
     * The best sentence for a failure: the destination's own reason when it sent one. Replies that end nothing
     * (CONFIG_OK, round acknowledgements still queued) are skipped: a fault on this side must not read as "the
     * destination sent an unexpected reply".
     */
    private String reason(Throwable e) {
        ReturnPathReader rp = returnPath;
        if (rp != null && !(e instanceof MigrationException) && !(e instanceof StreamException)) {
            try {
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
                ReturnPath.Message m;
                while ((m = rp.next(Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))))
                        != null) {
                    int t = m.type();
                    if (t == StreamFormat.RP_REFUSED || t == StreamFormat.RP_FAILED || t == ReturnPathReader.CLOSED) {
                        return ReturnPathReader.describe(m, uri.toString());
                    }
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }
        if (e instanceof MigrationException || e instanceof StreamException) {
            return e.getMessage();
        }
        if (e instanceof IOException) {
            Connection c = connection;
            return "the connection to " + uri + " failed: " + e.getMessage() + (c == null ? "" : c.diagnostics());
        }
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    /** On the return path's reader thread, first: raises it for its life ({@link Migratable#raiseDowntimePriority}). */
    private void raiseReaderPriority() {
        vm.raiseDowntimePriority();
    }

    private boolean shouldAbort() {
        ReturnPathReader rp = returnPath;
        return cancelRequested || rp != null && rp.hasMessage();
    }

    private void checkAbort() throws IOException {
        if (shouldAbort()) {
            throw new IOException(cancelRequested ? "cancelled" : "the destination ended the migration");
        }
    }

    private void signalAbort() {
        synchronized (wake) {
            abortSignalled = true;
            wake.notifyAll();
        }
    }

    private void sleepUnlessAborted(long nanos) throws InterruptedException {
        synchronized (wake) {
            if (!abortSignalled) {
                TimeUnit.NANOSECONDS.timedWait(wake, nanos);
            }
        }
    }
}
