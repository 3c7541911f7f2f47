package org.jkvm.migration;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Migrates fake guests between two engines in one JVM over loopback tcp and prints a table: total time, downtime,
 * bytes, throughput, rounds. The guest RAM is shared memory in /dev/shm (like a real engine's mmap), so the
 * destination pays the host's first-touch cost. Runs itself in a child JVM with {@code -Xmx64m} to show the heap
 * does not grow with the guest.
 *
 * <pre>
 * bin/jkvm-bench MigrationBench            all scenarios
 * bin/jkvm-bench MigrationBench quick      256 MiB only
 * bin/jkvm-bench MigrationBench noqemu     without the QEMU comparison rows
 * </pre>
 *
 * <p>Where {@code qemu-system-x86_64} is installed, each scenario is repeated with QEMU (TCG) booting the jkvm
 * firmware with the same RAM size, non-zero content, speed limit and downtime limit, followed by the ratios
 * ours/QEMU (below 1 is better for time, downtime and bytes; above 1 is better for throughput).
 */
public final class MigrationBench {
    static final long MIB = 1 << 20;

    private MigrationBench() {
    }

    record Scenario(String name, long ramBytes, long nonZeroBytes, long dirtyWorkingSetPages, long dirtyPagesPerSec,
            long bandwidth, boolean autoConverge) {
        /** The firmware command line that makes QEMU's guest behave the same way. */
        String qemuAppend() {
            return dirtyPagesPerSec == 0 ? "workload=idle"
                    : "workload=dirty mib=" + dirtyWorkingSetPages / 256 + " rate=" + dirtyPagesPerSec;
        }
    }

    static final String ROW = "%-50s %7s %7s %9s %8s %7s %9s %9s %9s %6s %8s %9s  %s%n";

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || !args[0].equals("--child")) {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> cmd = new ArrayList<>(List.of(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", MigrationBench.class.getName(), "--child"));
            cmd.addAll(List.of(args));
            System.exit(new ProcessBuilder(cmd).inheritIO().start().waitFor());
        }
        List<String> opts = List.of(args).subList(1, args.length);
        boolean quick = opts.contains("quick");
        Path fw = org.jkvm.testkit.RepoPaths.of("src", "firmware", "jkvm-fw.elf");
        boolean qemu = !opts.contains("noqemu") && org.jkvm.testkit.Require.which("qemu-system-x86_64") != null
                && java.nio.file.Files.exists(fw);
        List<Scenario> list = new ArrayList<>();
        list.add(new Scenario("256M idle, all non-zero, unlimited", 256 * MIB, 256 * MIB, 0, 0, 0, false));
        list.add(new Scenario("256M dirtying 16M @ 80 MB/s, unlimited", 256 * MIB, 256 * MIB, 4096, 20_000, 0, false));
        if (!quick) {
            list.add(new Scenario("1G idle, all non-zero, unlimited", 1024 * MIB, 1024 * MIB, 0, 0, 0, false));
            list.add(new Scenario("1G dirtying 16M @ 80 MB/s, unlimited", 1024 * MIB, 1024 * MIB, 4096, 20_000, 0,
                    false));
            list.add(new Scenario("1G idle, 25% non-zero, unlimited", 1024 * MIB, 256 * MIB, 0, 0, 0, false));
            list.add(new Scenario("1G idle, all non-zero, 128 MiB/s", 1024 * MIB, 1024 * MIB, 0, 0, 128 * MIB, false));
            list.add(new Scenario("256M dirtying 2x link (32 MiB/s), auto-converge", 256 * MIB, 256 * MIB, 16384,
                    16_384, 32 * MIB, true));
        }
        System.out.printf(Locale.ROOT, "%-50s %7s %7s %9s %8s %7s %9s %9s %9s %6s %8s %9s  %s%n", "scenario",
                "RAM MiB", "nz MiB", "total ms", "down ms", "setup", "sent MiB", "sent/nz", "MiB/s", "rounds",
                "cpu ms", "heap MiB", "result");
        rawLoopback(quick ? 256 * MIB : 1024 * MIB);
        for (Scenario s : list) {
            MigrationStats ours = run(s);
            if (qemu) {
                compareWithQemu(s, ours, fw);
            }
        }
        if (!qemu) {
            System.out.println("(QEMU rows skipped: qemu-system-x86_64 or src/firmware/jkvm-fw.elf is missing, "
                    + "or noqemu)");
        }
    }

    /** The same scenario under QEMU TCG with the jkvm firmware, then the ratios ours/QEMU. */
    static void compareWithQemu(Scenario s, MigrationStats ours, Path fw) throws Exception {
        QemuPeer.Result q = QemuPeer.migrate(fw, s.ramBytes(), s.nonZeroBytes(), s.qemuAppend(), s.bandwidth(),
                MigrationParameters.DEFAULT_DOWNTIME_MS, s.autoConverge());
        double qmibps = q.transferred() / (double) MIB / Math.max(1, q.totalMs() - q.setupMs()) * 1000;
        System.out.printf(Locale.ROOT, ROW, "  QEMU 7.2 TCG, " + s.qemuAppend(), s.ramBytes() / MIB,
                s.nonZeroBytes() / MIB, q.totalMs(), q.downtimeMs(), q.setupMs(),
                String.format(Locale.ROOT, "%.1f", q.transferred() / (double) MIB),
                String.format(Locale.ROOT, "%.3f", q.transferred() / (double) s.nonZeroBytes()),
                String.format(Locale.ROOT, "%.0f", qmibps), q.rounds(), "-", "-", q.status());
        if (!q.status().equals("completed")) {
            return;
        }
        double oursMibps = ours.transferredBytes() / (double) MIB
                / Math.max(1, ours.totalTimeMs() - ours.setupTimeMs()) * 1000;
        System.out.printf(Locale.ROOT, ROW, "  ratio ours/QEMU", "", "", ratio(ours.totalTimeMs(), q.totalMs()),
                ratio(ours.downtimeMs(), q.downtimeMs()), "", ratio(ours.transferredBytes(), q.transferred()), "",
                String.format(Locale.ROOT, "%.2f", oursMibps / Math.max(1e-9, qmibps)), "", "", "", "");
    }

    static String ratio(long a, long b) {
        return b <= 0 ? "-" : String.format(Locale.ROOT, "%.2f", a / (double) b);
    }

    /** The same bytes through a bare loopback TCP socket pair (no migration logic): the ceiling on this host now. */
    static void rawLoopback(long bytes) throws Exception {
        try (java.nio.channels.ServerSocketChannel ss = java.nio.channels.ServerSocketChannel.open()) {
            ss.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0));
            Thread reader = new Thread(() -> {
                try (java.nio.channels.SocketChannel c = ss.accept()) {
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(4 << 20);
                    while (c.read(b) >= 0) {
                        b.clear();
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            reader.start();
            long cpu0 = processCpuNanos();
            long t0 = System.nanoTime();
            try (java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(ss.getLocalAddress())) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(4 << 20);
                for (long sent = 0; sent < bytes; sent += b.capacity()) {
                    b.clear();
                    while (b.hasRemaining()) {
                        c.write(b);
                    }
                }
            }
            reader.join();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf(Locale.ROOT, "%-50s %7d %7s %9d %8s %7s %9.1f %9s %9.0f %6s %8d %9s  %s%n",
                    "(raw loopback TCP, 4 MiB writes, for scale)", bytes / MIB, "-", ms, "-", "-",
                    bytes / (double) MIB, "-", bytes / (double) MIB / ms * 1000, "-",
                    (processCpuNanos() - cpu0) / 1_000_000, "-", "ceiling");
        }
    }

    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    static MigrationStats run(Scenario s) throws Exception {
        FakeVm src = new FakeVm(new FakeMemory(new long[] {0}, new long[] {s.ramBytes()}, true), "qemu64");
        FakeVm dst = new FakeVm(new FakeMemory(new long[] {0}, new long[] {s.ramBytes()}, true), "qemu64");
        src.fill(s.nonZeroBytes() / 4096, 1).running();
        if (s.dirtyPagesPerSec() > 0) {
            src.dirtying(s.dirtyWorkingSetPages(), s.dirtyPagesPerSec());
            Thread.sleep(200);
        }
        System.gc();
        resetPeaks();
        long cpu0 = processCpuNanos();
        IncomingMigration in = IncomingMigration.start(dst, "tcp:127.0.0.1:0", MigrationListener.NONE);
        MigrationParameters p = MigrationParameters.defaults().withMaxBandwidth(s.bandwidth())
                .withAutoConverge(s.autoConverge());
        OutgoingMigration out = OutgoingMigration.start(src, "tcp:127.0.0.1:" + in.port(), p,
                MigrationListener.NONE);
        MigrationStats st = out.await(120_000);
        if (!st.status().isFinal()) {
            out.cancel();
            st = out.await(10_000);
        }
        in.await(10_000);
        long cpuMs = (processCpuNanos() - cpu0) / 1_000_000;
        long heap = peakHeapBytes();
        String result = st.status().wireName();
        if (st.status() == MigrationStatus.COMPLETED) {
            dst.pause();
            result += RamCompare.firstDifference(src.memory(), dst.memory()) < 0 ? ", RAM identical" : ", RAM DIFFERS";
        } else {
            result += ": " + st.errorDesc();
        }
        double mibps = st.transferredBytes() / (double) MIB / Math.max(1, st.totalTimeMs() - st.setupTimeMs()) * 1000;
        System.out.printf(Locale.ROOT, "%-50s %7d %7d %9d %8d %7d %9.1f %9.3f %9.0f %6d %8d %9.1f  %s%n", s.name(),
                s.ramBytes() / MIB, s.nonZeroBytes() / MIB, st.totalTimeMs(), st.downtimeMs(), st.setupTimeMs(),
                st.transferredBytes() / (double) MIB, st.transferredBytes() / (double) s.nonZeroBytes(), mibps,
                st.dirtySyncCount(), cpuMs, heap / (double) MIB, result);
        src.shutdown();
        dst.shutdown();
        src = null;
        dst = null;
        System.gc();
        return st;
    }

    static void resetPeaks() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            pool.resetPeakUsage();
        }
    }

    static long peakHeapBytes() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }
}
