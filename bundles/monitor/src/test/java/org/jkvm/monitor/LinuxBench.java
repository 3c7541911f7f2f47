package org.jkvm.monitor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jkvm.monitor.EngineProcess.QmpClient;
import org.jkvm.testkit.LinuxKit;
import org.jkvm.testkit.RepoPaths;

/**
 * Issue 13's performance table: the stock Debian kernel of the Linux guest kit (src/linux) booted by jkvm's engine and
 * by QEMU TCG with the same initramfs, command line and 512 MiB, once as the bzImage (its decompressor runs in the
 * guest) and once as the vmlinux inside it through its PVH note (both engines take either): the time from the
 * process's start to the kernel's banner and to the init script's first line ({@code jkvm-init: start}), then, once
 * the kit's memory checker has beaten 5 times, a live migration over loopback tcp to a second process of the same
 * kind with the same bandwidth and downtime limits (total time, downtime and bytes as each reports in query-migrate).
 *
 * <p>Beside the wall-clock times it prints the CPU time the process had used when the init script's first line
 * appeared (all its threads: for jkvm the vCPU, the JIT compilers, GC and timers). On this shared 2-core machine the
 * wall-clock figures move by 2x with the load (an engine under load 12 had 29 s of CPU in 66 s), while the CPU
 * figure stays within about 10%, so it is the one to compare between runs.
 *
 * <p>Run: {@code bin/jkvm-bench Linux} ({@code -Daccel=tcg|kvm} for jkvm's engines, default tcg; {@code -Druns=N};
 * {@code -Dqemu=false} leaves QEMU out; {@code -Djvms=} the jkvm engines' JVMs, one row each, e.g.
 * {@code default,jdk17=/usr/lib/jvm/java-17-openjdk-amd64/bin/java}, see {@link EngineJvms}; {@code -Dappend=WORDS}
 * adds words to the kit's kernel command line for both engines, e.g. {@code printk.time=1}). The engines start as
 * users start them, through {@code bin/jkvm-engine}.
 */
public final class LinuxBench {
    private static final long LIMIT = 128L << 20;
    private static final long DOWNTIME_MS = 300;
    private static final int MIB = 512;
    /** {@code -Djvms}: the engines' JVMs (see {@link EngineJvms}). */
    private static final Map<String, String> JVMS = EngineJvms.parse(System.getProperty("jvms", "default"));

    private LinuxBench() {
    }

    /** One run's figures. */
    record Row(String who, String image, long bannerMs, long bootMs, long bootCpuMs, String status, long totalMs,
            long downtimeMs, long transferred, long normalBytes) {
    }

    public static void main(String[] args) throws Exception {
        LinuxKit.Kit kit = LinuxKit.require();
        int runs = Integer.getInteger("runs", 1);
        boolean qemu = !"false".equals(System.getProperty("qemu"));
        List<Row> rows = new ArrayList<>();
        List<Path> images = new ArrayList<>(List.of(kit.kernel()));
        if (kit.vmlinux() != null && Files.exists(kit.vmlinux())) {
            images.add(kit.vmlinux());
        }
        for (int i = 0; i < runs; i++) {
            for (Path image : images) {
                for (String jvm : JVMS.keySet()) {
                    rows.add(run(jvm, kit, image));
                }
                if (qemu) {
                    rows.add(run(null, kit, image));
                }
            }
        }
        System.out.printf(Locale.ROOT, "Debian %s, %d MiB, -append \"%s\"; migration limit %d MiB/s, downtime limit "
                + "%d ms; load average %s%n", kit.kernelVersion(), MIB, cmdline(kit), LIMIT >> 20, DOWNTIME_MS,
                loadAverage());
        System.out.printf(Locale.ROOT, "%-16s %-8s %12s %12s %12s %-10s %9s %9s %9s %11s%n", "engine", "image",
                "->banner", "->init", "CPU ->init", "migration", "total ms", "downtime", "sent MiB", "nonzero MiB");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "%-16s %-8s %9d ms %9d ms %9d ms %-10s %9d %9d %9.1f %11.1f%n", r.who(),
                    r.image(), r.bannerMs(), r.bootMs(), r.bootCpuMs(), r.status(), r.totalMs(), r.downtimeMs(),
                    r.transferred() / 1048576.0, r.normalBytes() / 1048576.0);
        }
    }

    /** One boot and migration; {@code jvm} null for QEMU, else the jkvm engines' key in {@link #JVMS}. */
    private static Row run(String jvm, LinuxKit.Kit kit, Path image) throws Exception {
        boolean qemu = jvm == null;
        Path dir = Files.createTempDirectory("jkvm-linux-bench");
        int port = EngineProcess.freePort();
        List<Process> procs = new ArrayList<>();
        try {
            long t0 = System.nanoTime();
            procs.add(start(jvm, kit, image, dir, "src", null));
            Path serial = dir.resolve("src.serial");
            await(() -> Files.exists(serial) && Files.readString(serial).contains("Linux version"), procs.get(0),
                    "the kernel's banner");
            long bannerMs = (System.nanoTime() - t0) / 1_000_000;
            await(() -> Files.exists(serial) && Files.readString(serial).contains("jkvm-init: start"), procs.get(0),
                    "the init script's first line");
            long bootMs = (System.nanoTime() - t0) / 1_000_000;
            // bin/jkvm-engine execs the JVM, so the process started is the engine itself (as QEMU is).
            long bootCpuMs = procs.get(0).info().totalCpuDuration().map(d -> d.toMillis()).orElse(-1L);
            procs.add(start(jvm, kit, image, dir, "dst", "tcp:127.0.0.1:" + port));
            await(() -> Files.readString(serial).contains("hb seq=5 "), procs.get(0), "5 heartbeats of the checker");
            try (QmpClient q = connect(dir.resolve("src.qmp"), procs.get(0))) {
                q.execute("{\"execute\": \"qmp_capabilities\"}");
                q.execute("{\"execute\": \"migrate-set-parameters\", \"arguments\": {\"max-bandwidth\": " + LIMIT
                        + ", \"downtime-limit\": " + DOWNTIME_MS + "}}");
                q.execute("{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"tcp:127.0.0.1:" + port + "\"}}");
                Map<?, ?> info;
                do {
                    info = (Map<?, ?>) q.execute("{\"execute\": \"query-migrate\"}").get("return");
                    Thread.sleep(20);
                } while (!List.of("completed", "failed", "cancelled").contains(info.get("status")));
                Map<?, ?> ram = info.get("ram") instanceof Map<?, ?> r ? r : Map.of();
                String kind = image.equals(kit.kernel()) ? "bzImage" : "PVH";
                String who = qemu ? "qemu-tcg" : "jkvm-" + System.getProperty("accel", "tcg") + jvm;
                return new Row(who, kind, bannerMs, bootMs, bootCpuMs, String.valueOf(info.get("status")),
                        num(info.get("total-time")), num(info.get("downtime")), num(ram.get("transferred")),
                        num(ram.get("normal-bytes")));
            }
        } finally {
            for (Process p : procs) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static Process start(String jvm, LinuxKit.Kit kit, Path image, Path dir, String side, String incoming)
            throws IOException {
        boolean qemu = jvm == null;
        List<String> cmd = new ArrayList<>();
        if (qemu) {
            cmd.addAll(List.of("qemu-system-x86_64", "-accel", "tcg", "-machine", "pc", "-display", "none",
                    "-nodefaults", "-no-user-config"));
        } else {
            cmd.addAll(List.of(RepoPaths.root().resolve("bin/jkvm-engine").toString(), "-accel",
                    System.getProperty("accel", "tcg")));
        }
        cmd.addAll(List.of("-m", MIB + "M", "-kernel", image.toString(), "-initrd", kit.initrd().toString(),
                "-append", cmdline(kit), "-serial", "file:" + dir.resolve(side + ".serial"),
                "-qmp", "unix:" + dir.resolve(side + ".qmp") + ",server=on,wait=off"));
        if (incoming != null) {
            cmd.addAll(List.of("-incoming", incoming));
        }
        String engine = qemu ? "qemu-tcg" : "jkvm" + jvm;
        return EngineJvms.builder(engine, cmd, JVMS).redirectErrorStream(true)
                .redirectOutput(dir.resolve(side + ".out").toFile()).start();
    }

    /** A condition polled every 10 ms (the boot figure's resolution); fails when the process ends or after 10 min. */
    private interface Check {
        boolean holds() throws IOException;
    }

    private static void await(Check c, Process p, String what) throws Exception {
        long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (!c.holds()) {
            if (!p.isAlive() || System.nanoTime() > end) {
                throw new IOException("no " + what + " (process alive: " + p.isAlive() + ")");
            }
            Thread.sleep(10);
        }
    }

    private static QmpClient connect(Path socket, Process p) throws Exception {
        await(() -> Files.exists(socket), p, "QMP socket " + socket);
        return new QmpClient(socket);
    }

    /** The kit's command line with {@code -Dappend} added. */
    private static String cmdline(LinuxKit.Kit kit) {
        String extra = System.getProperty("append", "").strip();
        return extra.isEmpty() ? kit.cmdline() : kit.cmdline() + " " + extra;
    }

    /** The 1, 5 and 15 minute load averages (/proc/loadavg), or "unknown". */
    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static long num(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }
}
