package org.jkvm.monitor.warmup;

import java.io.BufferedReader;
import java.io.IOException;
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
import java.util.function.LongSupplier;

import org.jkvm.engine.Vm;
import org.jkvm.engine.VmConfig;
import org.jkvm.engine.VmConfigParser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A spare engine's rehearsal ({@code jkvm-engine -standby}) before its command line arrives: it builds a small VM
 * as an incoming destination would, with its QMP socket and an incoming listener in a temporary folder, plays a QMP
 * client against it once, and throws it all away, so the classes of that path are loaded and initialized when the
 * real destination is asked for (a migration's Prepare). Failures are only logged: the real VM meets and reports
 * the same problem. Runs on the caller's thread (the spare has nothing else to do yet).
 */
public final class SpareRehearsal {
    private static final Logger LOG = LoggerFactory.getLogger(SpareRehearsal.class);

    /** Starts the monitors of a VM as the engine does (the monitor module's wiring), adding each server to a list. */
    @FunctionalInterface
    public interface Monitors {
        /** Starts them; the caller closes what was added to {@code servers}. */
        void start(Vm vm, VmConfig config, List<AutoCloseable> servers);
    }

    private final Monitors monitors;
    private final LongSupplier nanoClock;

    /**
     * @param monitors  starts a VM's monitors as the engine does
     * @param nanoClock a monotonic clock in nanoseconds (production: {@link System#nanoTime()}), for the log line
     */
    public SpareRehearsal(Monitors monitors, LongSupplier nanoClock) {
        this.monitors = monitors;
        this.nanoClock = nanoClock;
    }

    /** Builds, exercises and discards the scratch destination. */
    public void run() {
        long t0 = nanoClock.getAsLong();
        Path tmp = null;
        List<AutoCloseable> servers = new ArrayList<>();
        try {
            tmp = Files.createTempDirectory("jkvm-standby");
            Path qmp = tmp.resolve("qmp.sock");
            Path mig = tmp.resolve("incoming.sock");
            VmConfig c = VmConfigParser.parse(List.of("-name", "jkvm-standby", "-m", "16M", "-S",
                    "-qmp", "unix:" + qmp + ",server,nowait", "-incoming", "unix:" + mig));
            try (Vm vm = Vm.createCold(c)) {
                monitors.start(vm, c, servers);
                vm.warmUp();
                talk(qmp, "{\"execute\": \"qmp_capabilities\"}\n{\"execute\": \"query-status\"}\n"
                        + "{\"execute\": \"query-migrate\"}\n", 3);
            } finally {
                closeAll(servers);
            }
        } catch (IOException | RuntimeException | LinkageError e) {
            LOG.warn("the spare engine's warm-up failed: {}", e.toString());
        } finally {
            deleteTree(tmp);
        }
        LOG.debug("spare rehearsal in {} ms", (nanoClock.getAsLong() - t0) / 1_000_000);
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
                LOG.debug("closing a warm-up server", e);
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
            LOG.debug("cannot delete {}", dir, e);
        }
    }
}
