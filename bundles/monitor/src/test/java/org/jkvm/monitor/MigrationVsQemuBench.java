package org.jkvm.monitor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jkvm.monitor.EngineProcess.QmpClient;
import org.jkvm.testkit.RepoPaths;

/**
 * Issue 3's performance table: the real engine (two processes, -Xmx64m, loopback tcp) against QEMU 7.2 TCG booting
 * the same firmware with the same RAM, workload, speed limit and downtime limit, driven over QMP on both sides.
 * Loads: {@code idle}; {@code dirty} (64 MiB working set, 8000 pages/s) at QEMU's default 128 MiB/s; {@code fill}
 * (the guest writes all its RAM above 16 MiB once with {@code workload=dirty rate=0}, is stopped, and migrates with
 * the limit raised to 100 GiB/s: throughput of non-zero pages); {@code fill128} (the same, stopped, at the default 128
 * MiB/s: the seed's offline migration and the limit's accuracy; not in the default set. Left running, this guest
 * rewrites its RAM at 350-550 MiB/s, so at 128 MiB/s it never converges: acceptance test 8's case). Heap = the engine's
 * Java heap in use after the migration (jcmd GC.heap_info), source/destination.
 *
 * <p>Run: {@code bin/jkvm-bench MigrationVsQemu [RAM_MIB ...]} (default 256 1024); system property {@code loads}
 * picks loads (default {@code idle,dirty,fill}); {@code -Druns=N} runs each row N times, interleaved with QEMU's,
 * and reports the median by total time with every run's figures; {@code -Dqemu=false} leaves QEMU out; {@code
 * -Djfr=true} records a flight recording per engine; {@code -Daccel=kvm|tcg} passes {@code -accel} to jkvm's engines
 * (SoftCpuBench runs them on the software CPU). The engines run as users run them, through {@code bin/jkvm-engine} (its
 * class-data archive and JVM options), or with {@code -Dlauncher=java} as a bare {@code java -cp}. They log their phase
 * timings to the temporary folder.
 */
public final class MigrationVsQemuBench {
    private static final long DEFAULT_LIMIT = 128L << 20;
    private static final long RAISED_LIMIT = 100L << 30;
    private static final long DOWNTIME_MS = 300;
    private static final Pattern GEN = Pattern.compile("^hb seq=\\d+ .* gen=(\\d+) ", Pattern.MULTILINE);
    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

    private MigrationVsQemuBench() {
    }

    /** One migration's figures; heap in KiB, -1 when not applicable. */
    record Row(String who, int ramMib, String load, long limit, String status, long totalMs, long downtimeMs,
            long transferred, long normalBytes, long rounds, long heapSrcKb, long heapDstKb) {
        double mibPerSec() {
            return totalMs == 0 ? 0 : transferred / (1024.0 * 1024.0) / (totalMs / 1000.0);
        }
    }

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = new ArrayList<>();
        for (String a : args) {
            sizes.add(Integer.parseInt(a));
        }
        if (sizes.isEmpty()) {
            sizes = List.of(256, 1024);
        }
        boolean qemu = Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64"))
                && !"false".equals(System.getProperty("qemu"));
        int runs = Integer.getInteger("runs", 1);
        List<Row> rows = new ArrayList<>();
        List<String> spread = new ArrayList<>();
        for (int mib : sizes) {
            for (String load : System.getProperty("loads", "idle,dirty,fill").split(",")) {
                List<Row> ours = new ArrayList<>();
                List<Row> theirs = new ArrayList<>();
                for (int i = 0; i < runs; i++) {
                    // Interleaved, so both meet the host in the same states (its fresh-memory cost varies a lot).
                    ours.add(run(false, mib, load));
                    if (qemu) {
                        theirs.add(run(true, mib, load));
                    }
                }
                rows.add(median(ours, spread));
                if (qemu) {
                    rows.add(median(theirs, spread));
                }
            }
        }
        print(rows);
        if (runs > 1) {
            System.out.println("each row is the run with the median total time of " + runs + "; all runs (total ms, "
                    + "downtime ms, MiB/s):");
            spread.forEach(System.out::println);
        }
    }

    /** The run with the median total time; appends every run's figures to {@code spread}. */
    private static Row median(List<Row> runs, List<String> spread) {
        List<Row> sorted = new ArrayList<>(runs);
        sorted.sort(java.util.Comparator.comparingLong(Row::totalMs));
        Row first = runs.get(0);
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "  %-9s %5dM %-6s", first.who(), first.ramMib(),
                first.load()));
        for (Row r : runs) {
            b.append(String.format(Locale.ROOT, "  %d/%d/%.0f", r.totalMs(), r.downtimeMs(), r.mibPerSec()));
        }
        spread.add(b.toString());
        return sorted.get(sorted.size() / 2);
    }

    private static Row run(boolean qemu, int mib, String load) throws Exception {
        Path dir = Files.createTempDirectory("jkvm-mig-bench");
        List<Process> procs = new ArrayList<>();
        String append = switch (load) {
            case "idle" -> "workload=idle hb_ms=1000";
            case "dirty" -> "workload=dirty mib=64 rate=8000 hb_ms=1000";
            default -> "workload=dirty mib=" + (mib - 32) + " rate=0 hb_ms=500";
        };
        boolean fill = load.startsWith("fill");
        long limit = load.equals("fill") ? RAISED_LIMIT : DEFAULT_LIMIT;
        int port = EngineProcess.freePort();
        try {
            procs.add(start(qemu, dir, "src", mib, append, null));
            procs.add(start(qemu, dir, "dst", mib, append, "tcp:127.0.0.1:" + port));
            try (QmpClient q = connect(dir.resolve("src.qmp"), procs.get(0))) {
                q.execute("{\"execute\": \"qmp_capabilities\"}");
                awaitGuest(dir.resolve("src.serial"), fill ? 2 : 0, procs.get(0));
                settle(procs);
                if (fill) {
                    q.execute("{\"execute\": \"stop\"}");
                }
                q.execute("{\"execute\": \"migrate-set-parameters\", \"arguments\": {\"max-bandwidth\": " + limit
                        + ", \"downtime-limit\": " + DOWNTIME_MS + "}}");
                q.execute("{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"tcp:127.0.0.1:" + port + "\"}}");
                Map<?, ?> info = awaitEnd(q);
                Map<?, ?> ram = info.get("ram") instanceof Map<?, ?> r ? r : Map.of();
                if (!qemu && Boolean.getBoolean("jfr")) {
                    for (int i = 0; i < 2; i++) {
                        new ProcessBuilder("jcmd", Long.toString(procs.get(i).pid()), "JFR.dump", "filename="
                                + dir.resolve((i == 0 ? "src" : "dst") + ".jfr")).inheritIO().start().waitFor();
                    }
                }
                long heapSrc = qemu ? -1 : heapUsedKb(procs.get(0));
                long heapDst = qemu ? -1 : heapUsedKb(procs.get(1));
                return new Row(qemu ? "qemu-tcg" : "jkvm", mib, load, limit, String.valueOf(info.get("status")),
                        num(info.get("total-time")), num(info.get("downtime")), num(ram.get("transferred")),
                        num(ram.get("normal-bytes")), num(ram.get("dirty-sync-count")), heapSrc, heapDst);
            }
        } finally {
            for (Process p : procs) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static Process start(boolean qemu, Path dir, String side, int mib, String append, String incoming)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        Path fw = RepoPaths.root().resolve("src/firmware/jkvm-fw.elf");
        if (qemu) {
            cmd.addAll(List.of("qemu-system-x86_64", "-accel", "tcg", "-machine", "pc", "-m", mib + "M", "-kernel",
                    fw.toString(), "-append", append, "-display", "none", "-nodefaults", "-no-user-config",
                    "-serial", "file:" + dir.resolve(side + ".serial"),
                    "-qmp", "unix:" + dir.resolve(side + ".qmp") + ",server=on,wait=off"));
        } else {
            if ("java".equals(System.getProperty("launcher"))) {
                cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
                cmd.addAll(List.of(jvmOptions(dir, side).split(" ")));
                cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
            } else {
                cmd.add(RepoPaths.root().resolve("bin/jkvm-engine").toString());
            }
            if (System.getProperty("accel") != null) {
                cmd.addAll(List.of("-accel", System.getProperty("accel")));
            }
            cmd.addAll(List.of("-m", mib + "M", "-kernel", fw.toString(), "-append", append,
                    "-serial", "file:" + dir.resolve(side + ".serial"),
                    "-qmp", "unix:" + dir.resolve(side + ".qmp") + ",server,nowait"));
        }
        if (incoming != null) {
            cmd.addAll(List.of("-incoming", incoming));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("JKVM_JAVA_OPTS", jvmOptions(dir, side));
        return pb.redirectErrorStream(true).redirectOutput(dir.resolve(side + ".out").toFile()).start();
    }

    /** The engine's JVM options: the heap cap the table's heap column is about, info logs (phase timings). */
    private static String jvmOptions(Path dir, String side) {
        return "-Xmx64m -Dorg.slf4j.simpleLogger.defaultLogLevel=info " + jfr(dir, side);
    }

    /** {@code -Djfr=true}: a flight recording per engine in the temporary folder, for profiling. */
    private static String jfr(Path dir, String side) {
        return Boolean.getBoolean("jfr") ? "-XX:StartFlightRecording=filename=" + dir.resolve(side + ".jfr")
                + ",settings=profile" : "-Djfr=false";
    }

    private static QmpClient connect(Path socket, Process p) throws Exception {
        long end = System.currentTimeMillis() + 60_000;
        while (true) {
            try {
                return new QmpClient(socket);
            } catch (IOException e) {
                if (!p.isAlive() || System.currentTimeMillis() > end) {
                    throw new IOException("cannot reach " + socket + " (" + e.getMessage() + ")", e);
                }
                Thread.sleep(100);
            }
        }
    }

    /**
     * Waits until both engines have run for {@code settle} ms (default 2000; fill guests take longer anyway): a
     * migration is measured on engines that have been up a while, as guests are, after their background migration
     * warm-up (0.5-1 s here, docs/contracts.md), not in their first second. {@code -Dsettle=0} measures cold
     * engines (a migration started at once cancels the warm-up).
     */
    private static void settle(List<Process> procs) throws InterruptedException {
        long settleMs = Long.getLong("settle", 2000);
        for (Process p : procs) {
            long started = p.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
            long wait = started + settleMs - System.currentTimeMillis();
            if (wait > 0) {
                Thread.sleep(wait);
            }
        }
    }

    /** Waits until the guest printed a heartbeat whose gen is at least {@code gen} (fill: the first pass ended). */
    private static void awaitGuest(Path serial, int gen, Process p) throws Exception {
        long end = System.currentTimeMillis() + 300_000;
        while (System.currentTimeMillis() < end && p.isAlive()) {
            String s = Files.exists(serial) ? Files.readString(serial) : "";
            Matcher m = GEN.matcher(s);
            int last = -1;
            while (m.find()) {
                last = Integer.parseInt(m.group(1));
            }
            if (last >= gen && (gen > 0 || last >= 0)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IOException("the guest never reached gen " + gen + " on " + serial);
    }

    private static Map<?, ?> awaitEnd(QmpClient q) throws Exception {
        long end = System.currentTimeMillis() + 300_000;
        while (System.currentTimeMillis() < end) {
            Map<?, ?> info = (Map<?, ?>) q.execute("{\"execute\": \"query-migrate\"}").get("return");
            Object s = info.get("status");
            if ("completed".equals(s) || "failed".equals(s) || "cancelled".equals(s)) {
                return info;
            }
            Thread.sleep(20);
        }
        throw new IOException("the migration did not end within 300 s");
    }

    private static long heapUsedKb(Process p) throws Exception {
        Process j = new ProcessBuilder("jcmd", Long.toString(p.pid()), "GC.heap_info").redirectErrorStream(true)
                .start();
        String out = new String(j.getInputStream().readAllBytes());
        j.waitFor(30, TimeUnit.SECONDS);
        Matcher m = HEAP_USED.matcher(out);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static long num(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }

    private static void print(List<Row> rows) {
        System.out.printf(Locale.ROOT, "%-9s %6s %-6s %9s %-9s %8s %9s %10s %10s %9s %6s %13s%n", "engine", "RAM",
                "load", "limit", "status", "total ms", "downtime", "sent MiB", "nonzeroMiB", "MiB/s", "rounds",
                "heap MiB s/d");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "%-9s %5dM %-6s %9s %-9s %8d %9d %10.1f %10.1f %9.0f %6d %13s%n", r.who(),
                    r.ramMib(), r.load(), r.limit() >= RAISED_LIMIT ? "100G" : (r.limit() >> 20) + "M", r.status(),
                    r.totalMs(), r.downtimeMs(), r.transferred() / 1048576.0, r.normalBytes() / 1048576.0,
                    r.mibPerSec(), r.rounds(), r.heapSrcKb() < 0 ? "-" : String.format(Locale.ROOT, "%.1f/%.1f",
                            r.heapSrcKb() / 1024.0, r.heapDstKb() / 1024.0));
        }
        System.out.println();
        System.out.println("ratios jkvm/qemu (total time, downtime, bytes sent, throughput):");
        for (Row a : rows) {
            for (Row b : rows) {
                if (a.who().equals("jkvm") && b.who().equals("qemu-tcg") && a.ramMib() == b.ramMib()
                        && a.load().equals(b.load())) {
                    System.out.printf(Locale.ROOT, "  %5dM %-6s total %.2f  downtime %.2f  bytes %.2f  MiB/s %.2f%n",
                            a.ramMib(), a.load(), ratio(a.totalMs(), b.totalMs()), ratio(a.downtimeMs(),
                                    b.downtimeMs()), ratio(a.transferred(), b.transferred()),
                            b.mibPerSec() == 0 ? 0 : a.mibPerSec() / b.mibPerSec());
                }
            }
        }
        System.out.println("idle: bytes sent / non-zero bytes = overhead of zero pages and framing (target <= 1.05)");
        for (Row r : rows) {
            if (r.load().equals("idle")) {
                System.out.printf(Locale.ROOT, "  %-9s %5dM  %.3f%n", r.who(), r.ramMib(),
                        ratio(r.transferred(), r.normalBytes()));
            }
        }
    }

    private static double ratio(long a, long b) {
        return b == 0 ? 0 : (double) a / b;
    }
}
