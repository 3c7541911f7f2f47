package org.jkvm.monitor;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.engine.EngineException;
import org.jkvm.engine.Prewarm;
import org.jkvm.engine.Vm;
import org.jkvm.engine.VmConfig;
import org.jkvm.engine.VmConfigParser;
import org.jkvm.posix.Posix;
import org.slf4j.LoggerFactory;

/**
 * {@code jkvm-engine -standby}: an engine process started ahead of need, so that a management daemon can hand it
 * a command line when a guest must start at once (a migration's Prepare on the destination). The JVM start, the
 * class loading and the native set-up (about 250 ms here) are then behind it; what remains is the VM's own set-up.
 *
 * <p>Protocol ({@code docs/contracts.md}, "Spare engine"): the process warms up (builds and discards a small VM
 * that waits for an incoming migration, talking to it once as a QMP client would, and starts its {@link
 * MigrationWarmUp} in the background), then
 * reads its standard input to
 * the end. The input is UTF-8 text whose fields are separated by NUL bytes: the first field is a file that
 * standard output and standard error are redirected to (appended; empty to keep them), the others are the engine
 * options, exactly as they would follow {@code jkvm-engine} on a command line. Standard input then reads from
 * {@code /dev/null}. An empty input (the daemon went away) ends the process with status 0.
 */
final class Standby {
    /** The most bytes a command line may have (a real one is well under 4 KiB). */
    private static final int MAX_INPUT = 1 << 20;

    private Standby() {
    }

    /**
     * Warms up, then waits for the command line.
     *
     * @return the engine options, or empty when the input was empty
     * @throws EngineException when the input is malformed or the log file cannot be opened
     */
    static List<String> await() {
        warmUp();
        byte[] input = readAll(System.in);
        if (input.length == 0) {
            return List.of();
        }
        List<String> fields = split(new String(input, StandardCharsets.UTF_8));
        redirect(fields.get(0));
        return fields.subList(1, fields.size());
    }

    /** The fields of the input; the last one may end with a NUL or not. */
    static List<String> split(String text) {
        String body = text.endsWith("\0") ? text.substring(0, text.length() - 1) : text;
        List<String> fields = new ArrayList<>(List.of(body.split("\0", -1)));
        if (fields.size() < 2) {
            throw new EngineException("the spare engine got no engine options after the log file name; send "
                    + "LOGFILE NUL OPTION NUL OPTION ... on its standard input");
        }
        return fields;
    }

    /**
     * Builds a small VM as an incoming destination would, with its QMP socket and an incoming listener in a
     * temporary folder, plays a QMP client against it once, and throws it all away: so the classes of that path are
     * loaded and initialized before a real command line arrives. Failures are only logged: the real VM meets and
     * reports the same problem.
     */
    private static void warmUp() {
        Prewarm.start();
        Prewarm.awaitLogging();
        Path tmp = null;
        List<AutoCloseable> servers = new ArrayList<>();
        try {
            tmp = Files.createTempDirectory("jkvm-standby");
            Path qmp = tmp.resolve("qmp.sock");
            Path mig = tmp.resolve("incoming.sock");
            VmConfig c = VmConfigParser.parse(List.of("-name", "jkvm-standby", "-m", "16M", "-S",
                    "-qmp", "unix:" + qmp + ",server,nowait", "-incoming", "unix:" + mig));
            try (Vm vm = Vm.createCold(c)) {
                Monitors.start(vm, c, servers);
                vm.warmUp();
                talk(qmp, "{\"execute\": \"qmp_capabilities\"}\n{\"execute\": \"query-status\"}\n"
                        + "{\"execute\": \"query-migrate\"}\n", 3);
            } finally {
                closeAll(servers);
            }
        } catch (IOException | RuntimeException | LinkageError e) {
            LoggerFactory.getLogger(Standby.class).warn("the spare engine's warm-up failed: {}", e.toString());
        } finally {
            deleteTree(tmp);
        }
        // The send and receive paths too (the engine this becomes may be a source or a destination), in the
        // background: a command line that arrives meanwhile is not held up, and the engine does not start another.
        MigrationWarmUp.startInBackground();
    }

    /** Connects to a unix socket, sends {@code text}, and reads {@code lines} lines after the first (greeting). */
    private static void talk(Path socket, String text, int lines) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
            if (lines > 0) {
                BufferedReader in = new BufferedReader(Channels.newReader(ch, StandardCharsets.UTF_8));
                for (int i = 0; i <= lines && in.readLine() != null; i++) {
                    // the greeting, then one answer per command
                }
            }
        }
    }

    private static void closeAll(List<AutoCloseable> servers) {
        for (AutoCloseable s : servers) {
            try {
                s.close();
            } catch (Exception e) {
                LoggerFactory.getLogger(Standby.class).debug("closing a warm-up server", e);
            }
        }
    }

    private static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            LoggerFactory.getLogger(Standby.class).debug("cannot delete {}", dir, e);
        }
    }

    private static byte[] readAll(InputStream in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                if (out.size() > MAX_INPUT) {
                    throw new EngineException("the spare engine's command line is over " + MAX_INPUT + " bytes; "
                            + "send the options only");
                }
            }
        } catch (IOException e) {
            throw new EngineException("the spare engine cannot read its command line: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /** Points standard output and error at {@code logFile} (and standard input at /dev/null). */
    private static void redirect(String logFile) {
        int in = Posix.open("/dev/null", Posix.O_RDONLY);
        if (in >= 0) {
            Posix.dup2(in, 0);
            Posix.close(in);
        }
        if (logFile.isEmpty()) {
            return;
        }
        System.out.flush();
        System.err.flush();
        try {
            Path p = Path.of(logFile);
            if (!Files.exists(p)) {
                Files.createFile(p);
            }
        } catch (IOException | RuntimeException e) {
            throw new EngineException("the spare engine cannot create its log file " + logFile + ": " + e, e);
        }
        int fd = Posix.open(logFile, Posix.O_WRONLY | Posix.O_APPEND | Posix.O_CLOEXEC);
        if (fd < 0) {
            throw new EngineException("the spare engine cannot open its log file " + logFile + ": "
                    + Posix.strerror(Posix.lastErrno()));
        }
        Posix.dup2(fd, 1);
        Posix.dup2(fd, 2);
        Posix.close(fd);
    }
}
