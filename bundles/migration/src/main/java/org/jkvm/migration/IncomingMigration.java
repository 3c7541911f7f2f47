package org.jkvm.migration;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.jkvm.migration.stream.ConfigDiff;
import org.jkvm.migration.stream.RamLayout;
import org.jkvm.migration.stream.RamPreallocator;
import org.jkvm.migration.stream.RamWindows;
import org.jkvm.migration.stream.ReturnPath;
import org.jkvm.migration.stream.StreamFormat;
import org.jkvm.migration.stream.StreamIn;
import org.jkvm.migration.stream.StreamLoader;
import org.jkvm.migration.stream.StreamOut;
import org.jkvm.migration.stream.ThreadCost;
import org.jkvm.migration.transport.Connection;
import org.jkvm.migration.transport.Listener;
import org.jkvm.migration.transport.MigrationUri;
import org.jkvm.migration.transport.Transports;
import org.jkvm.vmstate.Migratable;
import org.jkvm.vmstate.ProgressLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The destination side ({@code -incoming URI} or {@code migrate_incoming URI}): listens at once, then on its own
 * thread accepts one source, checks the configuration, loads RAM and device state, checks every CRC and the EOF
 * record, restores the state, checks that no other process holds its images for writing, acknowledges, waits for
 * the source's handover byte and only then resumes the guest (taking the images' write locks), unless the source
 * guest was paused (then it stays paused until {@code cont}).
 *
 * <p>The guest never runs here before everything was checked. Any failure leaves it paused, reports
 * {@link MigrationStatus#FAILED} with the reason, and (tcp/unix) sends the reason to the source so the source
 * resumes. Thread-safe accessors.
 */
public final class IncomingMigration {
    private static final Logger LOG = LoggerFactory.getLogger(IncomingMigration.class);
    private static final int BUFFER_BYTES = 4 << 20;
    /** System property: {@code false} turns off preallocating RAM ahead of the stream (for benchmarks). */
    static final String PREALLOC_PROPERTY = "jkvm.migration.prealloc";

    private final Migratable vm;
    private final MigrationUri uri;
    private final Listener endpoint;
    private final MigrationListener listener;
    private final long handoverTimeoutMs;
    private final CountDownLatch done = new CountDownLatch(1);
    private final long startNanos = System.nanoTime();
    private volatile MigrationStatus status = MigrationStatus.SETUP;
    private volatile String error;
    private volatile StreamLoader loader;
    private volatile RamPreallocator prealloc;
    private volatile Connection connection;
    private volatile boolean sourceRunning;
    private volatile long endNanos = -1;
    private volatile boolean cancelled;
    /** Started when the source connects (tcp, unix and exec alike), armed after LOADED; the job thread's only. */
    private HandoverWatchdog watchdog;
    /** When the last ROUND_END was read (the final pass's, once the stream ended); the job thread's only. */
    private long lastRoundNanos;
    /** Lowers the job thread's priority, raised after round 0 ({@link Migratable#raiseDowntimePriority}). */
    private Runnable lowerPriority = Migratable.NO_PRIORITY_CHANGE;

    private IncomingMigration(Migratable vm, MigrationUri uri, MigrationListener listener, long handoverTimeoutMs) {
        this.vm = vm;
        this.uri = uri;
        this.listener = listener;
        this.handoverTimeoutMs = handoverTimeoutMs;
        this.endpoint = Transports.listen(uri);
    }

    /**
     * Starts listening on {@code uri} (the exec command starts on the job thread) and loads into {@code vm},
     * which must be paused and configured like the source.
     *
     * @throws MigrationException at once for an invalid URI or an address that cannot be bound
     */
    public static IncomingMigration start(Migratable vm, String uri, MigrationListener listener) {
        IncomingMigration m = new IncomingMigration(vm, MigrationUri.parse(uri), listener, 30_000);
        Thread t = new Thread(m::run, "migration-in");
        t.setDaemon(true);
        t.start();
        return m;
    }

    /** The bound tcp port (useful with {@code tcp:127.0.0.1:0}), else -1. */
    public int port() {
        return endpoint.port();
    }

    /** The job state. */
    public MigrationStatus status() {
        return status;
    }

    /** Why it failed, or null. */
    public String error() {
        return error;
    }

    /** Whether the source guest was running at switch-over (so this side resumed it). */
    public boolean sourceWasRunning() {
        return sourceRunning;
    }

    /** Bytes of stream read so far. */
    public long bytesReceived() {
        StreamLoader l = loader;
        return l == null ? 0 : l.bytesRead();
    }

    /**
     * Bytes of guest RAM allocated ahead of the stream from the source's RAM_LAYOUT hint (stream version 3) so far;
     * 0 without a hint or with preallocation off.
     */
    public long preallocatedBytes() {
        RamPreallocator p = prealloc;
        return p == null ? 0 : p.bytesAllocated();
    }

    /** Milliseconds since the start, frozen at the end. */
    public long totalTimeMs() {
        return ((endNanos >= 0 ? endNanos : System.nanoTime()) - startNanos) / 1_000_000;
    }

    /** Waits up to {@code timeoutMs} for the end; returns the status then. */
    public MigrationStatus await(long timeoutMs) throws InterruptedException {
        done.await(timeoutMs, TimeUnit.MILLISECONDS);
        return status;
    }

    /** Stops listening or loading; the guest stays paused. */
    public void cancel() {
        cancelled = true;
        endpoint.close();
        Connection c = connection;
        if (c != null) {
            c.close();
        }
    }

    private void run() {
        try {
            // Everything that does not need the source is done before it connects, off the handshake's path.
            Map<String, String> here = vm.configFingerprint();
            RamWindows windows = new RamWindows(vm.memory());
            ConfigDiff.differences(here, here);
            StreamOut.warmUpCodec(); // the device records' first inflate comes inside the downtime
            connection = endpoint.accept();
            watchdog = new HandoverWatchdog(connection, handoverTimeoutMs);
            watchdog.start();
            ThreadCost cost = ThreadCost.now();
            PhaseTimer phases = new PhaseTimer(NanoClock.SYSTEM);
            setStatus(MigrationStatus.ACTIVE, null);
            Connection c = connection;
            StreamLoader l = new StreamLoader(new StreamIn(c.in(), BUFFER_BYTES), windows, round -> {
                lastRoundNanos = phases.now();
                if (round == 0) {
                    // Past the bulk of RAM, what is left (dirty pages, the final pass, the state, the handover and the
                    // resume) is small, and its end is the guest's downtime, whose wake-ups must not wait.
                    lowerPriority = vm.raiseDowntimePriority();
                }
                stopPrealloc();
                if (c.hasReturnPath()) {
                    ReturnPath.send(c.out(), StreamFormat.RP_ROUND_DONE, Integer.toString(round));
                }
            }, extents -> startPrealloc(windows, extents));
            loader = l;
            l.header();
            Map<String, String> sourceConfig = l.config();
            checkConfig(sourceConfig, here);
            phases.mark("handshake");
            StreamLoader.Result r = l.body();
            phases.markCounted("stream", r.rounds(), "rounds");
            phases.stamp("final round", lastRoundNanos);
            phases.stampLast("stream end");
            vm.restoreState(r.sections());
            phases.markStamped("restore state");
            vm.checkBlockDevicesFree(); // before LOADED: a refusal here still lets the source resume
            phases.markStamped("block lock check");
            sourceRunning = r.sourceRunning();
            handover(phases);
            phases.markStamped("handover");
            if (r.sourceRunning()) {
                vm.resume();
                phases.markStamped("resume");
            }
            RamPreallocator p = prealloc;
            ProgressLog.info(LOG, "incoming migration from {} completed: {} bytes, guest {}, {} MiB preallocated"
                    + " ahead, receive thread {}: {}; downtime timeline: {}", uri, l.bytesRead(),
                    r.sourceRunning() ? "resumed" : "left paused as on the source",
                    p == null ? 0 : p.bytesAllocated() >> 20, ThreadCost.since(cost), phases, phases.timeline());
            setStatus(MigrationStatus.COMPLETED, null);
        } catch (Throwable e) {
            String reason;
            Connection c = connection;
            if (cancelled) {
                reason = "the incoming migration on " + uri + " was cancelled on this host";
                reportToSource(reason);
                LOG.info("{}", reason);
                setStatus(MigrationStatus.CANCELLED, reason);
                return;
            }
            if (e instanceof java.io.EOFException && c != null && !c.hasReturnPath()) {
                reason = "the stream from " + uri + " ended early (" + e.getMessage() + ")" + c.diagnostics()
                        + "; check the command and the state file";
            } else if (e instanceof java.io.EOFException) {
                reason = "the source closed the stream from " + uri + " before its end (" + e.getMessage()
                        + "); the migration was cancelled or failed on the source, which keeps the guest";
            } else if (e instanceof RuntimeException) {
                reason = e.getMessage();
            } else {
                reason = "the stream from " + uri + " failed: " + e.getMessage();
            }
            reportToSource(reason);
            LOG.warn("incoming migration failed: {}", reason);
            setStatus(MigrationStatus.FAILED, reason);
        } finally {
            lowerPriority.run();
            HandoverWatchdog w = watchdog;
            if (w != null) {
                w.interrupt();
            }
            stopPrealloc();
            Connection c = connection;
            if (c != null) {
                c.close();
            }
            endpoint.close();
            done.countDown();
        }
    }

    /** The RAM_LAYOUT hint arrived: allocate its extents on another thread, ahead of the stream (unless off). */
    private void startPrealloc(RamWindows windows, List<RamLayout.Extent> extents) {
        if (!"false".equals(System.getProperty(PREALLOC_PROPERTY)) && !extents.isEmpty()) {
            prealloc = RamPreallocator.start(windows, extents, () -> loader.cursor());
        }
    }

    private void stopPrealloc() {
        RamPreallocator p = prealloc;
        if (p != null) {
            p.stop();
        }
    }

    private void checkConfig(Map<String, String> sourceConfig, Map<String, String> here) throws IOException {
        List<String> diffs = ConfigDiff.differences(sourceConfig, here);
        if (!diffs.isEmpty()) {
            String text = "the destination's configuration differs from the source's: " + String.join("; ", diffs)
                    + "; start the destination with the same options as the source";
            if (connection.hasReturnPath()) {
                ReturnPath.send(connection.out(), StreamFormat.RP_REFUSED, text);
            }
            throw new MigrationException(text);
        }
        if (connection.hasReturnPath()) {
            ReturnPath.send(connection.out(), StreamFormat.RP_CONFIG_OK, "");
        }
    }

    /** tcp/unix: LOADED, then wait for the source's handover byte before the guest may run here. */
    private void handover(PhaseTimer phases) throws IOException {
        if (!connection.hasReturnPath()) {
            return;
        }
        ReturnPath.send(connection.out(), StreamFormat.RP_LOADED, "");
        phases.stamp("loaded sent", phases.now());
        HandoverWatchdog watchdog = this.watchdog;
        watchdog.arm();
        boolean ok = ReturnPath.receiveHandover(connection.in());
        watchdog.interrupt();
        if (!ok) {
            throw new MigrationException("the source did not hand the guest over after it was loaded here; the "
                    + "guest stays paused on this host: check the source (it stays paused too) and run cont on "
                    + "exactly one of them");
        }
    }

    /**
     * Closes the connection when the source's handover byte does not come within the timeout after {@link #arm()}.
     * Started when the source connects and armed after LOADED: starting a thread (and linking a lambda's call site)
     * inside the guest's downtime cost 0.3-1 ms of CPU there. Interrupt it to end it, armed or not.
     */
    private static final class HandoverWatchdog extends Thread {
        private final Connection connection;
        private final long timeoutMs;
        private final CountDownLatch armed = new CountDownLatch(1);

        HandoverWatchdog(Connection connection, long timeoutMs) {
            super("migration-in-handover-watchdog");
            this.connection = connection;
            this.timeoutMs = timeoutMs;
            setDaemon(true);
        }

        void arm() {
            armed.countDown();
        }

        @Override
        public void run() {
            try {
                armed.await();
                Thread.sleep(timeoutMs);
                connection.close();
            } catch (InterruptedException e) {
                // Handover arrived in time, or the job ended without one.
            }
        }
    }

    private void reportToSource(String reason) {
        Connection c = connection;
        if (c != null && c.hasReturnPath() && status != MigrationStatus.SETUP) {
            try {
                ReturnPath.send(c.out(), StreamFormat.RP_FAILED, reason);
                drainUntilSourceCloses(c);
            } catch (IOException | RuntimeException e) {
                // The source is gone or already saw the refusal; it resumes on its own.
            }
        }
    }

    /**
     * Reads and drops what the source still sends until it closes (it does as soon as it reads the failure), for
     * at most 2 s. Closing with unread data would send a TCP reset that could overtake the failure message.
     */
    private static void drainUntilSourceCloses(Connection c) throws IOException {
        ByteBuffer scratch = ByteBuffer.allocateDirect(256 << 10);
        long deadline = System.nanoTime() + 2_000_000_000L;
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(2_000);
                c.close();
            } catch (InterruptedException e) {
                // Drained in time.
            }
        }, "migration-in-drain-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        try {
            while (System.nanoTime() < deadline && c.in().read(scratch) >= 0) {
                scratch.clear();
            }
        } finally {
            watchdog.interrupt();
        }
    }

    /** A statistics snapshot of the incoming side (status, time, bytes received, RAM size, error). */
    public MigrationStats stats() {
        StreamLoader l = loader;
        long pages = l == null ? 0 : l.pagesLoaded();
        return new MigrationStats(status, totalTimeMs(), 0, 0, 0, bytesReceived(), 0, vm.memory().totalBytes(), 0,
                pages, 0, 0, 0, StreamFormat.PAGE_SIZE, 0, error);
    }

    private void setStatus(MigrationStatus s, String err) {
        if (s.isFinal()) {
            endNanos = System.nanoTime();
        }
        error = err;
        status = s;
        try {
            listener.statusChanged(s, stats());
        } catch (RuntimeException e) {
            LOG.warn("a migration listener failed: {}", e.toString());
        }
    }
}
