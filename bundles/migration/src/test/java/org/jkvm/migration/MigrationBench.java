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
 * </pre>
 */
public final class MigrationBench {
    static final long MIB = 1 << 20;

    private MigrationBench() {
    }

    record Scenario(String name, long ramBytes, long nonZeroBytes, long dirtyWorkingSetPages, long dirtyPagesPerSec,
            long bandwidth, boolean autoConverge) {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || !args[0].equals("--child")) {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> cmd = new ArrayList<>(List.of(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", MigrationBench.class.getName(), "--child"));
            cmd.addAll(List.of(args));
            System.exit(new ProcessBuilder(cmd).inheritIO().start().waitFor());
        }
        boolean quick = args.length > 1 && args[1].equals("quick");
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
            run(s);
        }
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

    static void run(Scenario s) throws Exception {
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
