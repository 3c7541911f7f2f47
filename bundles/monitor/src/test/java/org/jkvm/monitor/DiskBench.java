package org.jkvm.monitor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
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
 * {@code -Druns=N} (migrations per row, default 3), {@code -Dwarmup=MS} and {@code -Dwindow=MS} (steady state,
 * default 3000 and 5000), {@code -Dqemu=false} (leave QEMU out), {@code -Dkvm=false}, {@code -Dparts=} a
 * comma-separated subset of {@code speeds,steady,downtime} and {@code -Dformats=} of {@code raw,qcow2} (default all;
 * the run directory, printed first, keeps each migration's logs).
 */
public final class DiskBench {
    private static final Pattern RESULT = Pattern.compile("diskbench op=(\\w+) .* errors=(\\d+) .* us=(\\d+)"
            + " iops=(\\d+) kib_s=(\\d+)");
    /** The source's phases: pre-flush (guest running), pause (the stop's drain and flush), flush, release. */
    private static final Pattern PHASE = Pattern.compile("(block pre-flush|pause|block flush|block release) (\\d+) ms");
    /** The destination's resume, which takes the images' locks and reads their metadata (after the handover). */
    private static final Pattern RESUME = Pattern.compile("incoming migration .* completed: .*, resume (\\d+) ms");
    private static final List<String> PHASES = List.of("block pre-flush", "pause", "block flush", "block release");
    private static final List<String> OPS = List.of("seqwrite", "seqread", "randwrite", "randread");
    private static final Path FIRMWARE = RepoPaths.root().resolve("src/firmware/jkvm-fw.elf");

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
        List<String> engines = new ArrayList<>(List.of("jkvm-tcg"));
        if (kvm) {
            engines.add("jkvm-kvm");
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
            header();
            for (String format : formats) {
                for (String engine : engines) {
                    row(format, engine, speeds(dir, engine, format, cache, mib, count));
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
        System.out.printf(Locale.ROOT, "%-6s %-9s %12s %12s %13s %13s%n", "format", "engine", "4k rnd rd/s",
                "4k rnd wr/s", "seq rd MiB/s", "seq wr MiB/s");
    }

    private static void row(String format, String engine, Map<String, long[]> r) {
        System.out.printf(Locale.ROOT, "%-6s %-9s %12d %12d %13.1f %13.1f%n", format, engine, r.get("randread")[0],
                r.get("randwrite")[0], r.get("seqread")[1] / 1024.0, r.get("seqwrite")[1] / 1024.0);
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
            exec(cmd, dir.resolve(engine + ".log"));
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
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
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
                    engine.equals("jkvm-kvm") ? "kvm" : "tcg"));
        }
        cmd.addAll(List.of("-m", "64M", "-kernel", FIRMWARE.toString(), "-append", append, "-serial",
                "file:" + serial));
        return cmd;
    }

    private static void exec(List<String> cmd, Path log) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new IOException(String.join(" ", cmd) + " did not end within 600 s");
        }
    }

    /** The downtime table: each engine with and without a disk, median of {@code runs} migrations. */
    private static void downtimes(Path dir, List<String> engines, int runs) throws Exception {
        System.out.printf(Locale.ROOT, "live migration over loopback tcp, 64 MiB guest, median of %d by downtime (ms;"
                + " the source's phase log: pre-flush with the guest running, pause = stop with its drain and flush,"
                + " block flush, block release; the destination's resume, after the handover: locks, metadata)%n",
                runs);
        System.out.printf(Locale.ROOT, "%-9s %-22s %9s %10s %6s %6s %8s %10s%n", "engine", "guest", "downtime",
                "pre-flush", "pause", "flush", "release", "dst resume");
        for (String engine : engines) {
            for (boolean disk : List.of(false, true)) {
                List<long[]> all = new ArrayList<>();
                for (int i = 0; i < runs; i++) {
                    all.add(migrate(dir, engine, disk));
                }
                all.sort(Comparator.comparingLong(r -> r[0]));
                long[] m = all.get(all.size() / 2);
                boolean ours = !engine.equals("qemu-tcg");
                System.out.printf(Locale.ROOT, "%-9s %-22s %9d %10s %6s %6s %8s %10s%n", engine, disk
                        ? "workload=disk, qcow2" : "idle, no disk", m[0], cell(ours, m[1]), cell(ours, m[2]),
                        cell(ours, m[3]), cell(ours, m[4]), cell(ours, m[5]));
            }
        }
    }

    private static String cell(boolean ours, long ms) {
        return ours && ms >= 0 ? Long.toString(ms) : "-";
    }

    /** One migration: {downtime, pre-flush, pause, block flush, block release, destination resume} in ms. */
    private static long[] migrate(Path dir, String engine, boolean disk) throws Exception {
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
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectOutput(run.resolve(side + ".out").toFile());
                pb.environment().put("JKVM_JAVA_OPTS", "-Dorg.slf4j.simpleLogger.defaultLogLevel=info");
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
                long downtime = info.get("downtime") instanceof Number n ? n.longValue() : -1;
                long[] phases = {downtime, -1, -1, -1, -1, -1};
                String log = engine.equals("qemu-tcg") ? "" : completionLog(run.resolve("src.out"));
                Matcher m = PHASE.matcher(log);
                while (m.find()) {
                    phases[1 + PHASES.indexOf(m.group(1))] = Long.parseLong(m.group(2));
                }
                if (!engine.equals("qemu-tcg")) {
                    Matcher r = RESUME.matcher(completionLog(run.resolve("dst.out"), "incoming migration from"));
                    phases[5] = r.find() ? Long.parseLong(r.group(1)) : -1;
                }
                return phases;
            }
        } finally {
            for (Process p : procs) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
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
