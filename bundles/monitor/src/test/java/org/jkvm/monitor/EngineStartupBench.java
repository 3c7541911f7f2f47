package org.jkvm.monitor;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

import org.jkvm.testkit.RepoPaths;

/**
 * How long a migration destination takes to start: from starting {@code bin/jkvm-engine} (bash, JVM and all) with
 * {@code -S -incoming tcp:127.0.0.1:PORT} and a QMP socket, as libvirt's Prepare does, until the QMP socket
 * accepts a connection and until the incoming listener is bound (seen in /proc/net/tcp and tcp6, so that no
 * connection disturbs it). Each engine is then ended with SIGTERM. Prints one row per run and the medians.
 * The same is then measured for a spare engine ({@code -standby}, as the daemon keeps one): started and left to
 * warm up for 2 s, then handed the same options on its standard input; the clock starts at the hand-over.
 * The engine's class-data-sharing archive is made by the first runs after a build (see bin/jkvm-engine), so
 * the first rows are slower. Run: {@code bin/jkvm-bench EngineStartup [RUNS] [MiB]} (default 10 runs, 256 MiB).
 */
public final class EngineStartupBench {
    private static final long TIMEOUT_NS = 20_000_000_000L;

    private EngineStartupBench() {
    }

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        String mib = args.length > 1 ? args[1] : "256";
        Path engine = RepoPaths.of("bin", "jkvm-engine");
        Path dir = Files.createTempDirectory("jkvm-startbench");
        List<Double> qmp = new ArrayList<>();
        List<Double> listen = new ArrayList<>();
        List<Double> spareQmp = new ArrayList<>();
        List<Double> spareListen = new ArrayList<>();
        System.out.printf("%-5s %12s %18s %16s %24s%n", "run", "QMP ms", "incoming bound ms", "spare: QMP ms",
                "spare: incoming bound ms");
        for (int i = 0; i < runs; i++) {
            double[] r = once(engine, dir.resolve("r" + i), mib, false);
            double[] s = once(engine, dir.resolve("s" + i), mib, true);
            qmp.add(r[0]);
            listen.add(r[1]);
            spareQmp.add(s[0]);
            spareListen.add(s[1]);
            System.out.printf(Locale.ROOT, "%-5d %12.0f %18.0f %16.1f %24.1f%n", i, r[0], r[1], s[0], s[1]);
        }
        System.out.printf(Locale.ROOT, "%-5s %12.0f %18.0f %16.1f %24.1f%n", "median", median(qmp), median(listen),
                median(spareQmp), median(spareListen));
        System.out.printf(Locale.ROOT, "%-5s %12.0f %18.0f %16.1f %24.1f%n", "min", Collections.min(qmp),
                Collections.min(listen), Collections.min(spareQmp), Collections.min(spareListen));
    }

    /** One start, direct or through a warmed-up spare: {QMP ms, incoming listener ms}. */
    private static double[] once(Path engine, Path dir, String mib, boolean spare)
            throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path sock = dir.resolve("qmp.sock");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> options = List.of("-name", "bench", "-uuid",
                "c7a5fdbd-cdaf-9455-926a-d65c16db1809", "-m", mib + "M", "-smp", "1", "-cpu", "qemu64",
                "-serial", "file:" + dir.resolve("serial.log"), "-qmp", "unix:" + sock + ",server,nowait", "-S",
                "-incoming", "tcp:127.0.0.1:" + port);
        List<String> cmd = new ArrayList<>(List.of(engine.toString()));
        cmd.addAll(spare ? List.of("-standby", "bench") : options);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectErrorStream(true).redirectOutput(dir.resolve("engine.log").toFile());
        long t0 = System.nanoTime();
        Process p = pb.start();
        if (spare) {
            Thread.sleep(2000);
            StringBuilder in = new StringBuilder(dir.resolve("engine.log").toString()).append('\0');
            options.forEach(o -> in.append(o).append('\0'));
            t0 = System.nanoTime();
            try (var w = p.getOutputStream()) {
                w.write(in.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        double q = -1;
        double l = -1;
        String hexPort = String.format(Locale.ROOT, ":%04X ", port);
        try {
            while ((q < 0 || l < 0) && System.nanoTime() - t0 < TIMEOUT_NS && p.isAlive()) {
                if (q < 0 && Files.exists(sock) && connects(sock)) {
                    q = (System.nanoTime() - t0) / 1e6;
                }
                if (l < 0 && listening(hexPort)) {
                    l = (System.nanoTime() - t0) / 1e6;
                }
                Thread.sleep(1);
            }
        } finally {
            p.destroy();
            p.waitFor();
        }
        if (q < 0 || l < 0) {
            throw new IllegalStateException("the engine did not come up within 20 s; see " + dir.resolve("engine.log"));
        }
        return new double[] {q, l};
    }

    private static boolean connects(Path sock) {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(sock));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether a socket listens on the port (state 0A in /proc/net/tcp or tcp6). */
    private static boolean listening(String hexPort) throws IOException {
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 3 && (f[1] + " ").endsWith(hexPort) && f[3].equals("0A")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static double median(List<Double> values) {
        List<Double> s = new ArrayList<>(values);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }
}
