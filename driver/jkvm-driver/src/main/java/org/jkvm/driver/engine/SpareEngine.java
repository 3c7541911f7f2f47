package org.jkvm.driver.engine;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One engine process started ahead of need ({@code jkvm-engine -standby}), so that an engine the daemon must start
 * at once (the destination of a migration, inside Prepare) skips the JVM's start-up: the command line is handed
 * to the waiting process over its standard input (the protocol is in {@code docs/contracts.md}, "Spare engine").
 * A process is an engine for one guest only, so after a spare is taken the next one is started when the work that
 * took it is over ({@link #replenish()}: once the incoming guest runs (Finish) or is restored, or once a started
 * guest's engine answers), at the latest {@code respawnDelay} after the take: its warm-up (about 0.2 s of CPU)
 * would otherwise compete with the migration and the guest's first moments on the destination (measured: the
 * guest's gap grew by about 20 ms on 2 cores). A guest that arrives before the next spare is warm takes it
 * half-warmed, or starts its engine directly.
 *
 * <p>An engine command that does not understand {@code -standby} ends its spare at once; after three spares in a
 * row ended untaken, spares are switched off with a warning and every engine is started directly, as it would be
 * without this class. Thread-safe.
 */
public final class SpareEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SpareEngine.class);
    private static final int MAX_FAILURES = 3;

    private final List<String> command;
    private final String label;
    private final Path log;
    private final Duration respawnDelay;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "jkvm-spare-engine");
        t.setDaemon(true);
        return t;
    });
    private Process spare;
    private int failures;
    private boolean closed;

    /**
     * Starts the first spare.
     *
     * @param engineCommand the engine program and its leading arguments (as for a direct start)
     * @param label         shown on the spare's command line after {@code -standby} (so {@code ps} tells whose
     *                      spare it is, e.g. the daemon's state folder)
     * @param log           where spares write until they are taken (appended)
     * @param respawnDelay  how long after a spare is taken the next one starts at the latest
     */
    public SpareEngine(List<String> engineCommand, String label, Path log, Duration respawnDelay) {
        this.command = List.copyOf(engineCommand);
        this.label = label;
        this.log = log;
        this.respawnDelay = respawnDelay;
        timer.execute(this::spawn);
    }

    /**
     * Hands {@code options} to the waiting spare, which becomes the engine for them.
     *
     * @param options the engine options (the command line after the engine program)
     * @param engineLog the file the engine's standard output and error go to from now on
     * @return the engine process, or empty when no spare is ready (then start the engine directly)
     */
    public synchronized Optional<Process> take(List<String> options, Path engineLog) {
        Process p = spare;
        spare = null;
        if (p == null || closed) {
            return Optional.empty();
        }
        if (!p.isAlive()) {
            ended(p);
            replenish();
            return Optional.empty();
        }
        failures = 0;
        try (OutputStream in = p.getOutputStream()) {
            in.write(encode(engineLog, options));
        } catch (IOException e) {
            LOG.warn("the spare engine pid {} did not take its command line ({}); starting the engine directly",
                    p.pid(), e.getMessage());
            p.destroyForcibly();
            replenish();
            return Optional.empty();
        }
        timer.schedule(this::spawn, respawnDelay.toMillis(), TimeUnit.MILLISECONDS);
        LOG.debug("spare engine pid {} taken", p.pid());
        return Optional.of(p);
    }

    /** Starts the next spare now (on a background thread) unless one is waiting. */
    public void replenish() {
        try {
            timer.execute(this::spawn);
        } catch (java.util.concurrent.RejectedExecutionException closedAlready) {
            // closed: no more spares
        }
    }

    /** The waiting spare process, if one is started and alive (for tests and diagnostics). */
    synchronized Optional<Process> waiting() {
        return Optional.ofNullable(spare).filter(Process::isAlive);
    }

    /** The current spare process, alive or already ended, if one was started and not taken (for tests). */
    synchronized Optional<Process> current() {
        return Optional.ofNullable(spare);
    }

    /** Whether spares are still used (false after {@code MAX_FAILURES} spares in a row ended untaken). */
    public synchronized boolean enabled() {
        return !closed && failures < MAX_FAILURES;
    }

    /** The standard input of a spare: the log file and the options, each ended by a NUL byte. */
    static byte[] encode(Path engineLog, List<String> options) {
        StringBuilder b = new StringBuilder(engineLog.toString()).append('\0');
        for (String o : options) {
            if (o.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("an engine option contains a NUL byte: " + o);
            }
            b.append(o).append('\0');
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    private synchronized void spawn() {
        if (closed || spare != null || failures >= MAX_FAILURES) {
            return;
        }
        List<String> argv = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            argv.add("/usr/bin/setsid");
        }
        argv.addAll(command);
        argv.add("-standby");
        argv.add(label);
        try {
            Files.createDirectories(log.getParent());
            spare = new ProcessBuilder(argv).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectErrorStream(true).start();
            LOG.debug("spare engine started, pid {}", spare.pid());
        } catch (IOException e) {
            failures = MAX_FAILURES;
            LOG.warn("cannot start a spare engine ({}); engines start directly", e.getMessage());
        }
    }

    private void ended(Process p) {
        failures++;
        String status = p.isAlive() ? "?" : Integer.toString(p.exitValue());
        if (failures >= MAX_FAILURES) {
            LOG.warn("{} spare engines in a row ended before use (last status {}; see {}); engines start directly "
                    + "from now on", failures, status, log);
        } else {
            LOG.info("the spare engine pid {} ended before use with status {}; see {}", p.pid(), status, log);
        }
    }

    /** Ends the waiting spare (its input closes, so it exits) and starts no more. */
    @Override
    public void close() {
        Process p;
        synchronized (this) {
            closed = true;
            p = spare;
            spare = null;
        }
        timer.shutdownNow();
        if (p != null) {
            try {
                p.getOutputStream().close();
            } catch (IOException e) {
                LOG.debug("closing the spare engine's input", e);
            }
            try {
                if (!p.waitFor(200, TimeUnit.MILLISECONDS)) {
                    p.destroy();  // still warming up: SIGTERM
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroy();
            }
        }
    }
}
