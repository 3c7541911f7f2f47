package org.jkvm.monitor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jkvm.monitor.EngineProcess.QmpClient;
import org.jkvm.testkit.RepoPaths;

/**
 * Issue 14 acceptance 5 (a benchmark, not a test): disk speed through the guest, jkvm beside QEMU TCG with the same
 * image format, cache mode and guest. The guest is the bundled firmware's {@code workload=diskbench} (one request at a
 * time on the first virtio disk, timed by the guest's TSC, one result line): 4 KiB random reads and writes per second
 * and sequential MiB/s in 64 KiB requests, on a fresh raw and a fresh qcow2 image each (sequential write first, so
 * the reads find data), on jkvm's software CPU, on KVM where this host has it, and on QEMU TCG. Then the time the
 * seed's "stop the guest and sync the disks" adds to a live migration's downtime: jkvm engines over loopback tcp
 * with {@code workload=disk} writing (or without a disk, idle), the downtime QMP reports and the source's phase log
 * ({@code block flush}: drain and fdatasync; {@code block release}: the locks given up), median of the runs; QEMU's
 * downtime beside. The speeds are measured twice: as the guest times a whole run (a jkvm engine starts cold, so
 * its JIT warm-up is in it), and in steady state from the host ({@code query-blockstats} over a window after a
 * warm-up, the same on both engines).
 *
 * <p>With {@code -Dcache=writethrough} the two do different things: QEMU turns its write cache on for a driver that
 * negotiates FLUSH without CONFIG_WCE (the firmware does), so its writes are not synced (strace: pwrite64 only, no
 * fdatasync) and its figures are writeback figures; jkvm keeps every write stable when it completes (O_DSYNC).
 *
 * <p>Run: {@code bin/jkvm-bench Disk} with {@code -Dmib=N} (the range of the requests, default 64), {@code
 * -Dcount=N} (4 KiB requests per random op, default 20000: jkvm's engine starts cold each time, so short runs
 * measure its JIT warm-up), {@code -Dcache=MODE} (default writeback, QEMU's default),
 * {@code -Dcoldruns=N} (cold runs per engine and format, alternating, median printed; default 3), {@code -Druns=N}
 * (migrations per row, default 3), {@code -Dwarmup=MS} and {@code -Dwindow=MS} (steady state,
 * default 3000 and 5000), {@code -Dqemu=false} (leave QEMU out), {@code -Dengineopts=...} (JVM options for
 * the migrating jkvm engines, e.g. {@code -Xlog:gc,safepoint:file=/tmp/e-%p.log}), {@code -Dkvm=false}, {@code -Djvms=}
 * the jkvm engines' JVMs, each a row ({@code default} is bin/jkvm-engine's choice, {@code LABEL=JAVA} sets
 * JKVM_JAVA, e.g. {@code -Djvms=default,jdk17=/usr/lib/jvm/java-17-openjdk-amd64/bin/java}),
 * {@code -Dparts=} a comma-separated subset of {@code speeds,steady,downtime}, {@code -Dformats=} of
 * {@code raw,qcow2} and {@code -Dguests=} of {@code idle,disk} (the downtime's rows; default all; the run directory,
 * printed first, keeps each migration's logs).
 */
public final class DiskBench {
    private static final Pattern RESULT = Pattern.compile("diskbench op=(\\w+) .* errors=(\\d+) .* us=(\\d+)"
            + " iops=(\\d+) kib_s=(\\d+)");
    /** A stamp of a migration log's downtime timeline: "name @microseconds since the epoch". */
    private static final Pattern STAMP = Pattern.compile("([a-z][a-z -]*) @(\\d+)");
    /** The source's flush while the guest still runs, right before the stop (not part of the downtime). */
    private static final Pattern PREFLUSH = Pattern.compile("block pre-flush (\\d+) ms");
    private static final List<String> OPS = List.of("seqwrite", "seqread", "randwrite", "randread");
    private static final Path FIRMWARE = RepoPaths.root().resolve("src/firmware/jkvm-fw.elf");
    /** {@code -Djvms}: the engines' JVMs, an engine name's suffix ("" or "@LABEL") to JKVM_JAVA (null: default). */
    private static final Map<String, String> JVMS = EngineJvms.parse(System.getProperty("jvms", "default"));

    private DiskBench() {
    }

    /** Entry point; prints the two tables. */
    public static void main(String[] args) throws Exception {
        int mib = Integer.getInteger("mib", 64);
        int count = Integer.getInteger("count", 20_000);
        String cache = System.getProperty("cache", "writeback");
        boolean qemu = Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64"))
                && !"false".equals(System.getProperty("qemu"));
        boolean kvm = Files.isWritable(Path.of("/dev/kvm")) && !"false".equals(System.getProperty("kvm"));
        List<String> engines = new ArrayList<>();
        for (String jvm : JVMS.keySet()) {
            engines.add("jkvm-tcg" + jvm);
            if (kvm) {
                engines.add("jkvm-kvm" + jvm);
            }
        }
        if (qemu) {
            engines.add("qemu-tcg");
        }
        Path dir = Files.createTempDirectory("jkvm-disk-bench");
        List<String> parts = List.of(System.getProperty("parts", "speeds,steady,downtime").split(","));
        List<String> formats = List.of(System.getProperty("formats", "raw,qcow2").split(","));
        System.out.println("run directory: " + dir);
        System.out.printf(Locale.ROOT, "guest workload=diskbench, cache=%s, %d MiB range, %d x 4 KiB random requests,"
                + " %d x 64 KiB sequential; queue depth 1; timed by the guest over the whole run (cold start"
                + " included)%n", cache, mib, count, Math.max(mib * 16, count / 2));
        if (parts.contains("speeds")) {
            int coldRuns = Integer.getInteger("coldruns", 3);
            System.out.printf(Locale.ROOT, "median of %d cold runs per figure (each op a fresh engine; the engines"
                    + " alternate run by run), the runs' range below each row%n", coldRuns);
            header();
            for (String format : formats) {
                Map<String, List<Map<String, long[]>>> runs = new LinkedHashMap<>();
                for (int i = 0; i < coldRuns; i++) {
                    for (String engine : engines) {
                        runs.computeIfAbsent(engine, e -> new ArrayList<>())
                                .add(speeds(dir, engine, format, cache, mib, count));
                    }
                }
                for (String engine : engines) {
                    coldRow(format, engine, runs.get(engine));
                }
            }
        }
        long warmup = Long.getLong("warmup", 3000);
        long window = Long.getLong("window", 5000);
        System.out.printf(Locale.ROOT, "%nsteady state, from the host: query-blockstats over %d ms after %d ms of"
                + " warm-up, the guest running each op without end%n", window, warmup);
        if (parts.contains("steady")) {
            header();
            for (String format : formats) {
                for (String engine : engines) {
                    row(format, engine, steady(dir, engine, format, cache, mib, warmup, window));
                }
            }
        }
        System.out.println();
        if (parts.contains("downtime")) {
            downtimes(dir, engines, Integer.getInteger("runs", 3));
        }
    }

    private static void header() {
        System.out.printf(Locale.ROOT, "%-6s %-15s %12s %12s %13s %13s%n", "format", "engine", "4k rnd rd/s",
                "4k rnd wr/s", "seq rd MiB/s", "seq wr MiB/s");
    }

    private static void row(String format, String engine, Map<String, long[]> r) {
        System.out.printf(Locale.ROOT, "%-6s %-15s %12d %12d %13.1f %13.1f%n", format, engine, r.get("randread")[0],
                r.get("randwrite")[0], r.get("seqread")[1] / 1024.0, r.get("seqwrite")[1] / 1024.0);
    }

    /** A row of medians over the cold runs, and a line with each figure's lowest and highest run. */
    private static void coldRow(String format, String engine, List<Map<String, long[]>> runs) {
        long[][] figures = new long[4][];
        String[] ops = {"randread", "randwrite", "seqread", "seqwrite"};
        for (int k = 0; k < ops.length; k++) {
            int field = ops[k].startsWith("rand") ? 0 : 1;
            String op = ops[k];
            figures[k] = runs.stream().mapToLong(r -> r.get(op)[field]).sorted().toArray();
        }
        System.out.printf(Locale.ROOT, "%-6s %-15s %12d %12d %13.1f %13.1f%n", format, engine, median(figures[0]),
                median(figures[1]), median(figures[2]) / 1024.0, median(figures[3]) / 1024.0);
        System.out.printf(Locale.ROOT, "%-6s %-15s %12s %12s %13s %13s%n", "", "  range",
                figures[0][0] + "-" + figures[0][figures[0].length - 1],
                figures[1][0] + "-" + figures[1][figures[1].length - 1],
                String.format(Locale.ROOT, "%.0f-%.0f", figures[2][0] / 1024.0,
                        figures[2][figures[2].length - 1] / 1024.0),
                String.format(Locale.ROOT, "%.0f-%.0f", figures[3][0] / 1024.0,
                        figures[3][figures[3].length - 1] / 1024.0));
    }

    /** The middle value of sorted figures (the lower middle of an even count). */
    private static long median(long[] sorted) {
        return sorted[(sorted.length - 1) / 2];
    }

    /** Each op's {iops, KiB/s} on a fresh image, as the guest timed the whole run (TSC). */
    private static Map<String, long[]> speeds(Path dir, String engine, String format, String cache, int mib,
            int count) throws Exception {
        Path img = dir.resolve("bench-" + engine + "." + format);
        Files.deleteIfExists(img);
        exec(List.of("qemu-img", "create", "-q", "-f", format, img.toString(), mib + "M"), dir.resolve("qemu-img.log"));
        Map<String, long[]> out = new LinkedHashMap<>();
        for (String op : OPS) {
            boolean random = op.startsWith("rand");
            String append = "workload=diskbench op=" + op + " bs=" + (random ? 4096 : 65536) + " count="
                    + (random ? count : Math.max(mib * 16, count / 2)) + " mib=" + mib;
            Path serial = dir.resolve(engine + "-" + format + "-" + op + ".serial");
            Files.deleteIfExists(serial);
            List<String> cmd = command(engine, append, serial);
            cmd.addAll(List.of("-drive", "file=" + img + ",format=" + format + ",if=none,id=d0,cache=" + cache,
                    "-device", "virtio-blk-pci,drive=d0"));
            exec(EngineJvms.builder(engine, cmd, JVMS), dir.resolve(engine + ".log"));
            String text = Files.exists(serial) ? Files.readString(serial) : "";
            Matcher m = RESULT.matcher(text);
            if (!m.find() || !m.group(2).equals("0")) {
                throw new IOException(engine + " " + format + " " + op + ": no clean result line in " + serial + ":\n"
                        + text + "\n" + Files.readString(dir.resolve(engine + ".log")));
            }
            out.put(op, new long[] {Long.parseLong(m.group(4)), Long.parseLong(m.group(5))});
        }
        Files.deleteIfExists(img);
        return out;
    }

    /**
     * Each op's steady rate {ops/s, KiB/s}, measured from the host: the guest runs the op without end, and the
     * engine's own {@code query-blockstats} (QEMU's and jkvm's alike) is read after {@code warmupMs} and again
     * {@code windowMs} later, so a cold start (jkvm's JIT) is left out.
     */
    private static Map<String, long[]> steady(Path dir, String engine, String format, String cache, int mib,
            long warmupMs, long windowMs) throws Exception {
        Path img = dir.resolve("steady-" + engine + "." + format);
        Files.deleteIfExists(img);
        exec(List.of("qemu-img", "create", "-q", "-f", format, img.toString(), mib + "M"), dir.resolve("qemu-img.log"));
        Map<String, long[]> out = new LinkedHashMap<>();
        for (String op : OPS) {
            boolean random = op.startsWith("rand");
            String append = "workload=diskbench op=" + op + " bs=" + (random ? 4096 : 65536) + " count=2000000000"
                    + " mib=" + mib;
            Path qmp = dir.resolve("steady.qmp");
            Files.deleteIfExists(qmp);
            List<String> cmd = command(engine, append, dir.resolve("steady.serial"));
            cmd.addAll(List.of("-drive", "file=" + img + ",format=" + format + ",if=none,id=d0,cache=" + cache,
                    "-device", "virtio-blk-pci,drive=d0", "-qmp", "unix:" + qmp
                    + (engine.equals("qemu-tcg") ? ",server=on,wait=off" : ",server,nowait")));
            Process p = EngineJvms.builder(engine, cmd, JVMS).redirectErrorStream(true)
                    .redirectOutput(dir.resolve(engine + "-steady.log").toFile()).start();
            try (QmpClient q = connect(qmp, p)) {
                q.execute("{\"execute\": \"qmp_capabilities\"}");
                Thread.sleep(warmupMs);
                long[] a = counters(q, random ? op.equals("randwrite") : op.equals("seqwrite"));
                Thread.sleep(windowMs);
                long[] b = counters(q, random ? op.equals("randwrite") : op.equals("seqwrite"));
                double secs = (b[2] - a[2]) / 1e9;
                out.put(op, new long[] {Math.round((b[0] - a[0]) / secs), Math.round((b[1] - a[1]) / 1024.0 / secs)});
            } finally {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
        Files.deleteIfExists(img);
        return out;
    }

    /** {operations, bytes, host nanoTime} of the first drive's reads or writes. */
    private static long[] counters(QmpClient q, boolean writes) throws Exception {
        List<?> all = (List<?>) q.execute("{\"execute\": \"query-blockstats\"}").get("return");
        Map<?, ?> s = (Map<?, ?>) ((Map<?, ?>) all.get(0)).get("stats");
        String k = writes ? "wr" : "rd";
        return new long[] {((Number) s.get(k + "_operations")).longValue(), ((Number) s.get(k + "_bytes")).longValue(),
            System.nanoTime()};
    }

    /** The command line of one engine booting the firmware with {@code append}, serial to a file. */
    private static List<String> command(String engine, String append, Path serial) {
        List<String> cmd = new ArrayList<>();
        if (engine.equals("qemu-tcg")) {
            cmd.addAll(List.of("qemu-system-x86_64", "-accel", "tcg", "-machine", "pc", "-display", "none",
                    "-nodefaults", "-no-user-config", "-no-reboot", "-device",
                    "isa-debug-exit,iobase=0xf4,iosize=0x04"));
        } else {
            cmd.addAll(List.of(RepoPaths.root().resolve("bin/jkvm-engine").toString(), "-accel",
                    engine.startsWith("jkvm-kvm") ? "kvm" : "tcg"));
        }
        cmd.addAll(List.of("-m", "64M", "-kernel", FIRMWARE.toString(), "-append", append, "-serial",
                "file:" + serial));
        return cmd;
    }

    private static void exec(List<String> cmd, Path log) throws Exception {
        exec(new ProcessBuilder(cmd), log);
    }

    private static void exec(ProcessBuilder pb, Path log) throws Exception {
        List<String> cmd = pb.command();
        Process p = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new IOException(String.join(" ", cmd) + " did not end within 600 s");
        }
    }

    /** The downtime table: each engine with and without a disk, median of {@code runs} migrations per column. */
    private static void downtimes(Path dir, List<String> engines, int runs) throws Exception {
        String only = System.getProperty("guests", "idle,disk");
        List<Boolean> guests = new ArrayList<>();
        if (only.contains("idle")) {
            guests.add(false);
        }
        if (only.contains("disk")) {
            guests.add(true);
        }
        System.out.printf(Locale.ROOT, "live migration over loopback tcp, 64 MiB guest, median of %d per column (ms)."
                + "%n  qmp = query-migrate's downtime (QEMU: source's stop to the source's end of the stream, the"
                + " destination not included; jkvm: source's stop to the destination's LOADED and the handover byte)"
                + "%n  gap = guest-visible downtime, the source's STOP event to the destination's RESUME event (QMP"
                + " timestamps, one host clock), the same on both engines%n  jkvm's gap, from the two migration logs'"
                + " downtime timelines: stop = vCPU pause, NIC stop, drain and flush; ram = block flush and the"
                + " final RAM pass; state = device state saved; send = block release and the last bytes written;"
                + " load = until the destination read EOF; restore = device state restored and image locks"
                + " checked; ack = LOADED to the source and the handover byte back; resume = images taken over,"
                + " vCPU resumed; pre-flush (guest running, not in the gap)%n", runs);
        System.out.printf(Locale.ROOT, "%-9s %-20s %5s %5s | %5s %5s %5s %5s %5s %7s %5s %6s | %9s%n", "engine",
                "guest", "qmp", "gap", "stop", "ram", "state", "send", "load", "restore", "ack", "resume", "pre-flush");
        for (String engine : engines) {
            for (boolean disk : guests) {
                List<double[]> all = new ArrayList<>();
                for (int i = 0; i < runs; i++) {
                    double[] r = migrate(dir, engine, disk);
                    all.add(r);
                    System.out.printf(Locale.ROOT, "  run %d: %s%n", i + 1, Arrays.toString(r));
                }
                double[] m = new double[all.get(0).length];
                for (int c = 0; c < m.length; c++) {
                    int col = c;
                    m[c] = all.stream().mapToDouble(r -> r[col]).sorted().toArray()[all.size() / 2];
                }
                System.out.printf(Locale.ROOT, "%-9s %-20s %5s %5s | %5s %5s %5s %5s %5s %7s %5s %6s | %9s%n", engine,
                        disk ? "workload=disk, qcow2" : "idle, no disk", cell(m[0]), cell(m[1]), cell(m[2]),
                        cell(m[3]), cell(m[4]), cell(m[5]), cell(m[6]), cell(m[7]), cell(m[8]), cell(m[9]),
                        cell(m[10]));
            }
        }
    }

    private static String cell(double ms) {
        return ms >= 0 ? String.format(Locale.ROOT, "%.1f", ms) : "-";
    }

    /**
     * One migration: {qmp downtime, guest gap, then jkvm's timeline: stop, ram, state, send, load, restore, ack,
     * resume, pre-flush} in ms; -1 where an engine has no such figure.
     */
    private static double[] migrate(Path dir, String engine, boolean disk) throws Exception {
        Path run = Files.createTempDirectory(dir, "mig");
        Path img = run.resolve("top.qcow2");
        exec(List.of("qemu-img", "create", "-q", "-f", "qcow2", img.toString(), "16M"), run.resolve("qemu-img.log"));
        String append = disk ? "workload=disk mib=2 rate=500 hb_ms=200" : "workload=idle hb_ms=200";
        int port = EngineProcess.freePort();
        List<Process> procs = new ArrayList<>();
        try {
            for (String side : List.of("src", "dst")) {
                List<String> cmd = command(engine, append, run.resolve(side + ".serial"));
                cmd.addAll(List.of("-qmp", "unix:" + run.resolve(side + ".qmp")
                        + (engine.equals("qemu-tcg") ? ",server=on,wait=off" : ",server,nowait")));
                if (disk) {
                    cmd.addAll(List.of("-drive", "file=" + img + ",format=qcow2,if=none,id=d0", "-device",
                            "virtio-blk-pci,drive=d0"));
                }
                if (side.equals("dst")) {
                    cmd.addAll(List.of("-incoming", "tcp:127.0.0.1:" + port));
                }
                ProcessBuilder pb = EngineJvms.builder(engine, cmd, JVMS).redirectErrorStream(true)
                        .redirectOutput(run.resolve(side + ".out").toFile());
                pb.environment().put("JKVM_JAVA_OPTS", ("-Dorg.slf4j.simpleLogger.defaultLogLevel=info "
                        + System.getProperty("engineopts", "")).strip());
                procs.add(pb.start());
            }
            // The destination's monitor answers once its incoming listener is up (both engines start it first).
            try (QmpClient q = connect(run.resolve("src.qmp"), procs.get(0));
                    QmpClient d = connect(run.resolve("dst.qmp"), procs.get(1))) {
                q.execute("{\"execute\": \"qmp_capabilities\"}");
                d.execute("{\"execute\": \"qmp_capabilities\"}");
                awaitHeartbeats(run.resolve("src.serial"), 3, procs.get(0));
                q.execute("{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"tcp:127.0.0.1:" + port + "\"}}");
                Map<?, ?> info = awaitEnd(q);
                if (!"completed".equals(info.get("status"))) {
                    throw new IOException(engine + " migration " + info);
                }
                double[] out = new double[11];
                Arrays.fill(out, -1);
                out[0] = info.get("downtime") instanceof Number n ? n.doubleValue() : -1;
                out[1] = (micros(d.awaitEvent("RESUME")) - micros(q.awaitEvent("STOP"))) / 1000.0;
                if (!engine.equals("qemu-tcg")) {
                    timeline(out, completionLog(run.resolve("src.out")),
                            completionLog(run.resolve("dst.out"), "incoming migration from"));
                }
                return out;
            }
        } finally {
            for (Process p : procs) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** The QMP timestamp of an event, in microseconds since the epoch. */
    private static long micros(Map<String, Object> event) {
        Map<?, ?> t = (Map<?, ?>) event.get("timestamp");
        return ((Number) t.get("seconds")).longValue() * 1_000_000L + ((Number) t.get("microseconds")).longValue();
    }

    /** The "name @micros" stamps of a migration log's downtime timeline (empty when the log has none). */
    private static Map<String, Long> timeline(String log) {
        Map<String, Long> t = new LinkedHashMap<>();
        Matcher line = Pattern.compile("downtime timeline: (.*)").matcher(log);
        if (line.find()) {
            Matcher m = STAMP.matcher(line.group(1));
            while (m.find()) {
                t.put(m.group(1), Long.parseLong(m.group(2)));
            }
        }
        return t;
    }

    /** Fills out[2..10] from the source's and the destination's logs (-1 where a stamp is missing). */
    private static void timeline(double[] out, String srcLog, String dstLog) {
        Map<String, Long> src = timeline(srcLog);
        Map<String, Long> dst = timeline(dstLog);
        String[][] spans = {{"src:block pre-flush", "src:pause"}, {"src:pause", "src:final pass"},
            {"src:final pass", "src:save state"}, {"src:save state", "src:send state"},
            {"src:send state", "dst:stream end"}, {"dst:stream end", "dst:block lock check"},
            {"dst:block lock check", "dst:handover"}, {"dst:handover", "dst:resume"}};
        for (int i = 0; i < spans.length; i++) {
            Long a = stamp(src, dst, spans[i][0]);
            Long b = stamp(src, dst, spans[i][1]);
            out[2 + i] = a == null || b == null ? -1 : (b - a) / 1000.0;
        }
        Matcher m = PREFLUSH.matcher(srcLog);
        out[10] = m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    private static Long stamp(Map<String, Long> src, Map<String, Long> dst, String key) {
        return (key.startsWith("src:") ? src : dst).get(key.substring(4));
    }

    /** The source's log once it holds the line that ends the job (written just after the status changes). */
    private static String completionLog(Path out) throws Exception {
        return completionLog(out, " completed, send thread ");
    }

    /** The log once it holds {@code marker} (or after 30 s). */
    private static String completionLog(Path out, String marker) throws Exception {
        long end = System.currentTimeMillis() + 30_000;
        String log = Files.readString(out);
        while (!log.contains(marker) && System.currentTimeMillis() < end) {
            Thread.sleep(50);
            log = Files.readString(out);
        }
        return log;
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

    private static void awaitHeartbeats(Path serial, int n, Process p) throws Exception {
        long end = System.currentTimeMillis() + 300_000;
        while (System.currentTimeMillis() < end && p.isAlive()) {
            String s = Files.exists(serial) ? Files.readString(serial) : "";
            if (s.split("hb seq=", -1).length - 1 >= n) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IOException("the guest printed fewer than " + n + " heartbeats on " + serial);
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
}
