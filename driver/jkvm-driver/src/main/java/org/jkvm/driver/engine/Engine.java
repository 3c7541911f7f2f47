package org.jkvm.driver.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jkvm.driver.VirErrors;
import org.jkvm.driver.qmp.QmpClient;
import org.jkvm.driver.qmp.QmpEvent;
import org.jkvm.driver.qmp.QmpException;
import org.jkvm.driver.qmp.QmpListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One engine process and its QMP connection. The end of the process is noticed at once, by whichever comes
 * first of the QMP end-of-file and the process exit, and reported once to the {@link EngineListener}.
 * Thread-safe.
 */
public final class Engine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    private static final Duration QMP_TIMEOUT = Duration.ofSeconds(30);
    private static final Path SETSID = Path.of("/usr/bin/setsid");

    private final String name;
    private final ProcessHandle handle;
    private final Process child;
    private final EnginePaths paths;
    private final EngineListener listener;
    private final AtomicBoolean exited = new AtomicBoolean();
    private volatile QmpClient qmp;

    private Engine(String name, ProcessHandle handle, Process child, EnginePaths paths, EngineListener listener) {
        this.name = name;
        this.handle = handle;
        this.child = child;
        this.paths = paths;
        this.listener = listener;
    }

    /**
     * Starts an engine process in its own session (so it outlives the daemon) and connects to its QMP socket.
     *
     * @param name     the domain name (for messages and thread names)
     * @param command  the full command line
     * @param paths    the engine's files; the QMP socket must be the one named on the command line
     * @param timeout  how long the engine may take to open its QMP socket
     * @param listener receives events and the end of the engine
     * @return the running engine
     * @throws org.jkvm.driver.DriverException when the engine exits early or its QMP socket does not answer
     */
    public static Engine launch(String name, List<String> command, EnginePaths paths, Duration timeout,
                                EngineListener listener) {
        return launch(name, command, 0, null, paths, timeout, listener);
    }

    /**
     * Like {@link #launch(String, List, EnginePaths, Duration, EngineListener)}, but hands the options to the
     * spare engine when one is waiting.
     *
     * @param programArgs how many leading elements of {@code command} are the engine program (the rest are the
     *                    options a spare is given)
     * @param spare       the spare engine, or null to start the engine directly
     */
    public static Engine launch(String name, List<String> command, int programArgs, SpareEngine spare,
                                EnginePaths paths, Duration timeout, EngineListener listener) {
        Process started;
        try {
            Files.createDirectories(paths.qmp().getParent());
            Files.createDirectories(paths.log().getParent());
            Files.deleteIfExists(paths.qmp());
            Files.deleteIfExists(paths.pidfile());
            List<String> options = command.subList(programArgs, command.size());
            started = spare != null ? spare.take(options, paths.log()).orElse(null) : null;
            if (started != null) {
                LOG.info("engine for {} is spare engine pid {}, given: {}", name, started.pid(),
                        String.join(" ", options));
            } else {
                started = start(command, paths);
            }
        } catch (IOException e) {
            throw VirErrors.operationFailed("cannot start the engine for domain '" + name + "' ("
                    + String.join(" ", command) + "): " + e.getMessage(), e);
        }
        Process p = started;
        Engine e = new Engine(name, p.toHandle(), p, paths, listener);
        try {
            e.connect(timeout);
        } catch (RuntimeException ex) {
            p.destroyForcibly();
            throw ex;
        }
        p.onExit().thenRun(() -> e.exited("the engine process exited with status " + p.exitValue()));
        return e;
    }

    private static Process start(List<String> command, EnginePaths paths) throws IOException {
        List<String> argv = new ArrayList<>();
        if (Files.isExecutable(SETSID)) {
            argv.add(SETSID.toString());
        }
        argv.addAll(command);
        Process p = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(paths.log().toFile()))
                .redirectErrorStream(true).start();
        LOG.info("started engine pid {}: {}", p.pid(), String.join(" ", argv));
        return p;
    }

    /**
     * Re-attaches to an engine started by an earlier daemon. An engine that is still ours but does not answer on its
     * monitor within {@code timeout} is killed, as libvirt does with a QEMU it cannot reconnect to: left running
     * unmanaged it would keep its guest and its image locks, and a later start would run the guest twice or fail.
     *
     * @param pid          the engine's process id
     * @param startInstant when that process started, or null: the check for a reused pid when startTicks is not
     *                     known (status files of older daemons), with a second's slack because two JVMs that read
     *                     the boot time at different wall-clock corrections can place one start a second apart
     * @param startTicks   when that process started in clock ticks after boot ({@link ProcessStart}), or -1
     * @param timeout      how long the engine's monitor may take to answer (a loaded host delays it by seconds)
     * @return the engine, or empty when the process is gone, is another process, or its QMP does not answer
     */
    public static Optional<Engine> attach(String name, long pid, Instant startInstant, long startTicks,
                                          EnginePaths paths, EngineListener listener, Duration timeout) {
        Optional<ProcessHandle> h = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        if (h.isEmpty()) {
            return Optional.empty();
        }
        if (!sameProcess(h.get(), startInstant, startTicks)) {
            LOG.warn("pid {} of domain {} now belongs to another process; not re-attaching", pid, name);
            return Optional.empty();
        }
        Engine e = new Engine(name, h.get(), null, paths, listener);
        try {
            e.connect(timeout);
        } catch (RuntimeException ex) {
            boolean killed = h.get().isAlive() && h.get().destroyForcibly();
            LOG.warn("cannot re-attach to engine pid {} of domain {}: {}{}", pid, name, ex.getMessage(),
                    killed ? "; killed it so that its guest cannot run twice" : "");
            if (killed) {
                awaitGone(h.get(), Duration.ofSeconds(10));
            }
            return Optional.empty();
        }
        h.get().onExit().thenRun(() -> e.exited("the engine process " + pid + " exited"));
        return Optional.of(e);
    }

    private static void awaitGone(ProcessHandle h, Duration timeout) {
        try {
            h.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException ex) {
            LOG.warn("engine pid {} has not exited {} ms after SIGKILL", h.pid(), timeout.toMillis());
        }
    }

    /**
     * Connects to the engine's QMP socket as soon as it appears: the socket's folder is watched (inotify), so no
     * fixed poll interval is added to the engine's start-up; a socket that exists but does not accept yet is
     * retried after a few milliseconds.
     */
    private void connect(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        try (WatchService watch = FileSystems.getDefault().newWatchService()) {
            paths.qmp().getParent().register(watch, StandardWatchEventKinds.ENTRY_CREATE);
            while (System.nanoTime() < deadline) {
                if (!handle.isAlive()) {
                    String status = child != null ? " with status " + exitValue() : "";
                    throw VirErrors.operationFailed("the engine for domain '" + name + "' exited" + status
                            + " before opening its monitor: " + lastLogLine(), null);
                }
                if (Files.exists(paths.qmp())) {
                    try {
                        qmp = QmpClient.connect(paths.qmp(), QMP_TIMEOUT, new Relay());
                        return;
                    } catch (QmpException e) {
                        last = e;
                        sleep(5);
                        continue;
                    }
                }
                // Wakes on any new file in the folder; the timeout bounds how late a dead engine is noticed.
                WatchKey key = watch.poll(50, TimeUnit.MILLISECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                }
            }
        } catch (IOException e) {
            throw VirErrors.operationFailed("cannot watch " + paths.qmp().getParent() + " for the monitor socket "
                    + "of domain '" + name + "': " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw VirErrors.operationFailed("interrupted while waiting for the engine of '" + name + "'", e);
        }
        throw VirErrors.operationFailed("the engine for domain '" + name + "' did not open its monitor "
                + paths.qmp() + " within " + timeout.toMillis() + " ms"
                + (last != null ? ": " + last.getMessage() : ""), last);
    }

    /**
     * The engine's typed QMP control; its commands throw {@link QmpException} when the engine refuses them or is
     * gone.
     *
     * @throws QmpException when the engine has no monitor connection (it never opened one)
     */
    public QmpClient qmp() {
        QmpClient c = qmp;
        if (c == null) {
            throw new QmpException("the engine for domain '" + name + "' has no monitor connection");
        }
        return c;
    }

    /** The engine's process id (from its pid file when it wrote one, else the launched process). */
    public long pid() {
        try {
            if (Files.exists(paths.pidfile())) {
                String s = Files.readString(paths.pidfile(), StandardCharsets.US_ASCII).trim();
                if (!s.isEmpty()) {
                    return Long.parseLong(s);
                }
            }
        } catch (IOException | NumberFormatException e) {
            LOG.debug("unreadable pid file {}", paths.pidfile(), e);
        }
        return handle.pid();
    }

    private static boolean sameProcess(ProcessHandle h, Instant startInstant, long startTicks) {
        if (startTicks >= 0) {
            OptionalLong now = ProcessStart.ticks(h.pid());
            return now.isEmpty() || now.getAsLong() == startTicks;
        }
        Optional<Instant> started = h.info().startInstant();
        return startInstant == null || started.isEmpty()
                || Duration.between(started.get(), startInstant).abs().compareTo(Duration.ofSeconds(1)) <= 0;
    }

    /** The process handle that is watched. */
    public ProcessHandle handle() {
        return handle;
    }

    /** When the watched process started, if the OS says. */
    public Instant startInstant() {
        return handle.info().startInstant().orElse(null);
    }

    /** The engine's files. */
    public EnginePaths paths() {
        return paths;
    }

    /** True while the process lives. */
    public boolean alive() {
        return handle.isAlive() && !exited.get();
    }

    /** Kills the process (SIGKILL) and waits up to 5 s for it to end. */
    public void kill() {
        handle.destroyForcibly();
        try {
            handle.onExit().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("engine for {} (pid {}) did not end after SIGKILL", name, handle.pid());
        }
    }

    /**
     * Waits for the process to end.
     *
     * @return true when it ended within the timeout
     */
    public boolean awaitExit(Duration timeout) {
        try {
            handle.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** Closes the QMP connection without stopping the engine (daemon shutdown: engines keep running). */
    @Override
    public void close() {
        exited.set(true);
        QmpClient c = qmp;
        if (c != null) {
            c.close();
        }
    }

    private int exitValue() {
        try {
            return child.waitFor(2, TimeUnit.SECONDS) ? child.exitValue() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private void exited(String reason) {
        if (!exited.compareAndSet(false, true)) {
            return;
        }
        int code = child != null ? exitValue() : -1;
        QmpClient c = qmp;
        if (c != null) {
            c.close();
        }
        LOG.info("engine for {} ended: {}", name, reason);
        listener.onExit(code, reason);
    }

    private String lastLogLine() {
        try {
            List<String> lines = Files.readAllLines(paths.log(), StandardCharsets.UTF_8);
            for (int i = lines.size() - 1; i >= 0; i--) {
                String l = lines.get(i);
                // Skip stack frames ("\tat ...", "... 2 more") so a Java failure shows its message.
                if (!l.isBlank() && !Character.isWhitespace(l.charAt(0)) && !l.startsWith("...")) {
                    return l.strip();
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot read {}", paths.log(), e);
        }
        return "no output (see " + paths.log() + ")";
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw VirErrors.operationFailed("interrupted while waiting for an engine", e);
        }
    }

    /** Relays QMP events and end-of-file; the end of QMP is the first sign of a dead engine. */
    private final class Relay implements QmpListener {
        @Override
        public void onEvent(QmpEvent event) {
            listener.onEvent(event);
        }

        @Override
        public void onClose(String reason) {
            if (!exited.get()) {
                // The process may take a moment to be reaped after its socket closes; wait so the status is known.
                handle.onExit().orTimeout(2, TimeUnit.SECONDS)
                        .whenComplete((h, ex) -> exited(reason));
            }
        }
    }
}
