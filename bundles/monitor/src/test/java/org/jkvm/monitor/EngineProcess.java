package org.jkvm.monitor;

import org.jkvm.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.time.Duration;
import org.jkvm.testkit.Await;

/** Starts the engine ({@link Main}) as a child JVM with the test classpath, and talks to it, for tests. */
final class EngineProcess implements AutoCloseable {
    static final Pattern HB = Pattern.compile("^hb seq=(\\d+) ", Pattern.MULTILINE);

    final Process process;
    final Path dir;
    final Path serial;
    final Path qmpSocket;
    final Path hmpSocket;

    private EngineProcess(Process process, Path dir) {
        this.process = process;
        this.dir = dir;
        this.serial = dir.resolve("serial.log");
        this.qmpSocket = dir.resolve("qmp.sock");
        this.hmpSocket = dir.resolve("hmp.sock");
    }

    /**
     * Starts an engine whose COM1 is an interactive console: a unix socket ({@code console.sock} in {@code dir}) that
     * a test types into, with all output also logged to the serial file (QEMU's {@code logfile=}), plus the QMP and
     * HMP sockets, extra environment variables and {@code extra} options.
     */
    static EngineProcess startWithConsole(Path dir, Map<String, String> env, String... extra) throws IOException {
        List<String> cmd = javaCommand();
        cmd.addAll(List.of("-serial", "unix:" + dir.resolve("console.sock") + ",server,nowait,logfile="
                        + dir.resolve("serial.log"),
                "-qmp", "unix:" + dir.resolve("qmp.sock") + ",server,nowait",
                "-monitor", "unix:" + dir.resolve("hmp.sock") + ",server,nowait"));
        cmd.addAll(List.of(extra));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        return launch(pb, dir);
    }

    /** The command prefix running Main in a fresh JVM. */
    static List<String> javaCommand() {
        return javaCommand(List.of());
    }

    /** The command prefix running Main in a fresh JVM with {@code jvmOptions} (e.g. a log level). */
    static List<String> javaCommand(List<String> jvmOptions) {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", cp, Main.class.getName()));
        return cmd;
    }

    /** Starts an engine with serial file, QMP and HMP sockets in {@code dir}, plus {@code extra} options. */
    static EngineProcess start(Path dir, String... extra) throws IOException {
        return launch(new ProcessBuilder(engineCommand(dir, extra)), dir);
    }

    /**
     * As {@link #start(Path, String...)} with extra environment variables (e.g. {@code JKVM_KVM_DEVICE}) and the
     * engine's log at info level, so its first log line is in {@link #stderr()}.
     */
    static EngineProcess startLogged(Path dir, Map<String, String> env, String... extra) throws IOException {
        List<String> cmd = engineCommand(dir, extra);
        cmd.addAll(1, List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=info"));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        return launch(pb, dir);
    }

    /**
     * Starts an engine as {@link #start} does, behind a shell pipeline: {@code /bin/sh -c "PIPE | engine ..."}
     * (e.g. {@code gzip -c -d F.gz}), so that {@code -incoming exec:cat} reads the pipeline's output.
     */
    static EngineProcess startPiped(Path dir, String pipe, String... extra) throws IOException {
        StringBuilder sh = new StringBuilder(pipe).append(" | exec");
        for (String a : engineCommand(dir, extra)) {
            sh.append(" '").append(a.replace("'", "'\\''")).append('\'');
        }
        return launch(new ProcessBuilder("/bin/sh", "-c", sh.toString()), dir);
    }

    /** The engine command line with serial file, sockets in {@code dir}, 64M unless {@code extra} has -m. */
    private static List<String> engineCommand(Path dir, String... extra) {
        List<String> cmd = javaCommand();
        if (!List.of(extra).contains("-m")) {
            cmd.addAll(List.of("-m", "64M"));
        }
        cmd.addAll(List.of("-serial", "file:" + dir.resolve("serial.log"),
                "-qmp", "unix:" + dir.resolve("qmp.sock") + ",server,nowait",
                "-monitor", "unix:" + dir.resolve("hmp.sock") + ",server,nowait"));
        cmd.addAll(List.of(extra));
        return cmd;
    }

    /** A TCP port that was free a moment ago on loopback. */
    static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static EngineProcess launch(ProcessBuilder pb, Path dir) throws IOException {
        Process p = pb.redirectErrorStream(false)
                .redirectOutput(dir.resolve("stdout.txt").toFile()).redirectError(dir.resolve("stderr.txt").toFile())
                .start();
        EngineProcess e = new EngineProcess(p, dir);
        Await.until("the engine creates " + e.qmpSocket, () -> Files.exists(e.qmpSocket) || !p.isAlive());
        return e; // a process that already ended is returned for the test to check its status and stderr
    }

    /** Runs Main with {@code args} to completion; returns [exit status, stderr]. */
    static Object[] runToEnd(Path dir, String... args) throws Exception {
        return runToEnd(dir, Map.of(), args);
    }

    /** Runs Main with {@code args} and extra environment variables to completion; returns [exit status, stderr]. */
    static Object[] runToEnd(Path dir, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = javaCommand();
        cmd.addAll(List.of(args));
        Path err = dir.resolve("err-" + System.nanoTime() + ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        Process p = pb.redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("engine did not end: " + String.join(" ", args));
        }
        return new Object[] {p.exitValue(), Files.readString(err)};
    }

    /** Waits until the engine has created {@code f}; fails at once if it ends first. */
    void awaitFile(Path f) {
        Await.until("the engine creates " + f, () -> {
            if (!Files.exists(f) && !process.isAlive()) {
                throw new AssertionError("the engine ended without creating " + f + "; stderr: " + stderr());
            }
            return Files.exists(f);
        });
    }

    /** A QMP client on this engine; a refused connection reports the engine's stderr. */
    QmpClient qmp() throws IOException {
        try {
            return new QmpClient(qmpSocket);
        } catch (IOException e) {
            throw new IOException("cannot connect to the engine's QMP socket (" + e.getMessage() + "); alive="
                    + process.isAlive() + ", stderr: " + stderr(), e);
        }
    }

    String serialText() throws IOException {
        return Files.exists(serial) ? Files.readString(serial) : "";
    }

    String stderr() throws IOException {
        Path e = dir.resolve("stderr.txt");
        return Files.exists(e) ? Files.readString(e) : "";
    }

    List<Integer> seqs() throws IOException {
        List<Integer> out = new ArrayList<>();
        Matcher m = HB.matcher(serialText());
        while (m.find()) {
            out.add(Integer.parseInt(m.group(1)));
        }
        return out;
    }

    /**
     * Waits until at least {@code n} heartbeats are on the serial file; fails at once if the engine ends first.
     * {@code timeoutMs} only ends a hang (at least {@link Await#PATIENCE}); it is no speed goal.
     */
    List<Integer> awaitHeartbeats(int n, long timeoutMs) {
        Duration patience = Duration.ofMillis(Math.max(timeoutMs, Await.PATIENCE.toMillis()));
        return Await.value(n + " heartbeats", patience, () -> {
            List<Integer> s = seqs();
            if (s.size() < n && !process.isAlive()) {
                throw new AssertionError("the engine ended after " + s.size() + " heartbeats; serial: "
                        + serialText() + " stderr: " + stderr());
            }
            return s;
        }, s -> s.size() >= n);
    }

    /**
     * Watches for {@code ms}: for checks that something does NOT happen (no heartbeat while paused), which need a
     * window. Callers size it in periods of what they watch for; never used to wait for something to happen.
     */
    static void observe(long ms) throws InterruptedException {
        Thread.sleep(ms);
    }

    int awaitExit(long timeoutMs) throws InterruptedException {
        if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
            throw new AssertionError("engine still running");
        }
        return process.exitValue();
    }

    /** SIGKILL to the engine, its pipeline and their children. */
    void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    @Override
    public void close() {
        kill();
    }

    /** A QMP client: negotiates, then sends commands and collects events. */
    static final class QmpClient implements AutoCloseable {
        private final SocketChannel ch;
        private final BufferedReader in;
        private final OutputStream out;
        final List<Map<String, Object>> events = new ArrayList<>();
        final Map<String, Object> greeting;

        QmpClient(Path socket) throws IOException {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
            in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            out = Channels.newOutputStream(ch);
            greeting = read();
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> read() throws IOException {
            String line = in.readLine();
            if (line == null) {
                throw new IOException("QMP connection closed");
            }
            return (Map<String, Object>) Json.parse(line);
        }

        /** Sends a request and returns its reply, collecting events that arrive first. */
        Map<String, Object> execute(String json) throws IOException {
            out.write((json + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            while (true) {
                Map<String, Object> m = read();
                if (m.containsKey("event")) {
                    events.add(m);
                } else {
                    return m;
                }
            }
        }

        Map<String, Object> awaitEvent(String name) throws IOException {
            for (Map<String, Object> e : events) {
                if (name.equals(e.get("event"))) {
                    return e;
                }
            }
            while (true) {
                Map<String, Object> m = read();
                if (m.containsKey("event")) {
                    events.add(m);
                    if (name.equals(m.get("event"))) {
                        return m;
                    }
                }
            }
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
