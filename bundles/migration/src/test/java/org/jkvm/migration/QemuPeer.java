package org.jkvm.migration;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jkvm.testkit.Await;
import org.jkvm.testkit.UnixSockets;

/**
 * Runs the same migration with QEMU (TCG) for the benchmark's comparison: a source and a destination
 * {@code qemu-system-x86_64} booting the jkvm firmware, guest RAM in a /dev/shm file that is pre-filled with a
 * non-zero pattern (so an idle guest's RAM is all non-zero, like the fake guest's), driven over QMP.
 */
final class QemuPeer {
    /** What {@code query-migrate} reported at the end. */
    record Result(String status, long totalMs, long downtimeMs, long setupMs, long transferred, long rounds,
            double mbps) {
    }

    private QemuPeer() {
    }

    static Result migrate(Path firmware, long ramBytes, long nonZeroBytes, String append, long bandwidth,
            long downtimeMs, boolean autoConverge) throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/dev/shm"), "jkvm-qemu-bench");
        List<Process> procs = new ArrayList<>();
        try {
            Path srcRam = dir.resolve("src.ram");
            fill(srcRam, ramBytes, nonZeroBytes);
            Path dstRam = dir.resolve("dst.ram");
            try (FileChannel ch = FileChannel.open(dstRam, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ch.truncate(0);
            }
            int port = freePort();
            procs.add(start(firmware, ramBytes, srcRam, append, dir.resolve("src.qmp"), null));
            procs.add(start(firmware, ramBytes, dstRam, append, dir.resolve("dst.qmp"),
                    "tcp:127.0.0.1:" + port));
            try (Qmp qmp = new Qmp(dir.resolve("src.qmp"))) {
                Thread.sleep(500);
                long bw = bandwidth == 0 ? 10L << 30 : bandwidth;
                qmp.call("{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":" + bw
                        + ",\"downtime-limit\":" + downtimeMs + "}}");
                if (autoConverge) {
                    qmp.call("{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":"
                            + "[{\"capability\":\"auto-converge\",\"state\":true}]}}");
                }
                qmp.call("{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:127.0.0.1:" + port + "\"}}");
                long deadline = System.currentTimeMillis() + 120_000;
                while (System.currentTimeMillis() < deadline) {
                    String r = qmp.call("{\"execute\":\"query-migrate\"}");
                    String status = str(r, "status");
                    if (status.equals("completed") || status.equals("failed") || status.equals("cancelled")) {
                        if (!status.equals("completed")) {
                            status += " (" + str(r, "error-desc") + ")";
                        }
                        return new Result(status, num(r, "total-time"), num(r, "downtime"), num(r, "setup-time"),
                                num(r, "transferred"), num(r, "dirty-sync-count"), dbl(r, "mbps"));
                    }
                    Thread.sleep(20);
                }
                return new Result("timeout", -1, -1, -1, -1, -1, 0);
            }
        } finally {
            for (Process p : procs) {
                p.destroyForcibly().waitFor();
            }
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private static Process start(Path fw, long ram, Path ramFile, String append, Path qmp, String incoming)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("qemu-system-x86_64", "-accel", "tcg", "-cpu", "qemu64",
                "-m", (ram >> 20) + "M",
                "-object", "memory-backend-file,id=pc.ram,size=" + (ram >> 20) + "M,mem-path=" + ramFile + ",share=on",
                "-machine", "pc,memory-backend=pc.ram", "-kernel", fw.toString(), "-append", append,
                "-display", "none", "-serial", "null", "-monitor", "none", "-no-reboot",
                "-qmp", "unix:" + qmp + ",server=on,wait=off"));
        if (incoming != null) {
            cmd.add("-incoming");
            cmd.add(incoming);
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Await.until("QEMU's QMP socket " + qmp + " appears", () -> Files.exists(qmp) || !p.isAlive());
        return p;
    }

    /** A RAM file whose first {@code nonZero} bytes hold a non-zero pattern; the rest is a hole. */
    private static void fill(Path f, long size, long nonZero) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
            for (int i = 0; i < chunk.capacity(); i += 8) {
                chunk.putLong(i, 0x0123456789ABCDEFL + i);
            }
            for (long off = 0; off < nonZero; off += chunk.capacity()) {
                chunk.clear();
                ch.write(chunk, off);
            }
            ch.truncate(size);
            if (ch.size() < size) {
                ch.write(ByteBuffer.allocate(1), size - 1);
            }
        }
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String str(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        return m.find() ? m.group(1) : "";
    }

    private static long num(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*(-?\\d+)").matcher(json);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static double dbl(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*(-?[0-9.eE+]+)").matcher(json);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    /** A minimal QMP client: one command at a time, replies read line by line, events skipped. */
    static final class Qmp implements AutoCloseable {
        private final SocketChannel ch;
        private final java.io.BufferedReader in;
        private final OutputStream out;

        Qmp(Path sock) throws IOException {
            ch = UnixSockets.connectWhenListening(sock, "QEMU's QMP socket");
            in = new java.io.BufferedReader(new java.io.InputStreamReader(Channels.newInputStream(ch),
                    StandardCharsets.UTF_8));
            out = Channels.newOutputStream(ch);
            in.readLine();
            call("{\"execute\":\"qmp_capabilities\"}");
        }

        String call(String cmd) throws IOException {
            out.write((cmd + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            while (true) {
                String line = in.readLine();
                if (line == null) {
                    throw new IOException("QEMU closed its QMP socket");
                }
                if (line.contains("\"return\"") || line.contains("\"error\"")) {
                    if (line.contains("\"error\"")) {
                        throw new IOException("QMP error: " + line);
                    }
                    return line;
                }
            }
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
