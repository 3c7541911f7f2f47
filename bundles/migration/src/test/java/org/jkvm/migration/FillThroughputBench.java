package org.jkvm.migration;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.jkvm.memory.MemoryRegion;

/**
 * Where a fill migration's time goes, in one JVM without the engine: a paused source whose memfd RAM is all
 * non-zero migrates over loopback tcp, unlimited, to a fresh memfd destination (the first-touch cost included).
 * Per thread (from /proc/self/task, 10 ms ticks): user and system CPU and minor faults of the sender
 * ({@code migration-out}), the receiver ({@code migration-in}) and the preallocator ({@code migration-in-prealloc}).
 * Each size runs 3 times in each variant, interleaved: preallocation off ({@code -Djkvm.migration.prealloc=false}),
 * fallocate only ({@code -Djkvm.memory.populate=false}), and fallocate plus MADV_POPULATE_WRITE (the default).
 *
 * <p>Run: {@code bin/jkvm-bench FillThroughput [MIB ...]} (default 256 1024).
 */
public final class FillThroughputBench {
    /** off: no preallocation; fallocate: fallocate only; populate: fallocate, then MADV_POPULATE_WRITE. */
    private static final List<String> VARIANTS = List.of("off", "fallocate", "populate");
    /** Thread names as the kernel keeps them (15 characters). */
    private static final List<String> THREADS = List.of("migration-out", "migration-in", "migration-in-pr");

    private FillThroughputBench() {
    }

    public static void main(String[] args) throws Exception {
        String level = "org.slf4j.simpleLogger.defaultLogLevel";
        System.setProperty(level, System.getProperty(level, "warn"));
        List<Long> sizes = new ArrayList<>();
        for (String a : args) {
            sizes.add(Long.parseLong(a));
        }
        if (sizes.isEmpty()) {
            sizes = List.of(256L, 1024L);
        }
        System.out.printf(Locale.ROOT, "%-6s %-9s %8s %8s   %-17s %-17s %-17s%n", "RAM", "prealloc", "ms", "MiB/s",
                "out usr/sys/flt", "in usr/sys/flt", "prealloc usr/sys/flt");
        for (long mib : sizes) {
            for (int rep = 0; rep < 3; rep++) {
                for (String variant : VARIANTS) {
                    System.setProperty("jkvm.migration.prealloc", Boolean.toString(!variant.equals("off")));
                    System.setProperty("jkvm.memory.populate", Boolean.toString(variant.equals("populate")));
                    run(mib, variant);
                }
            }
        }
    }

    private static void run(long mib, String variant) throws Exception {
        long bytes = mib << 20;
        try (MemfdVm src = new MemfdVm(bytes); MemfdVm dst = new MemfdVm(bytes)) {
            fill(src);
            Map<String, long[]> seen = new HashMap<>();
            Thread sampler = new Thread(() -> sample(seen), "bench-sampler");
            sampler.setDaemon(true);
            sampler.start();
            long t0 = System.nanoTime();
            IncomingMigration in = IncomingMigration.start(dst, "tcp:127.0.0.1:0", MigrationListener.NONE);
            OutgoingMigration out = OutgoingMigration.start(src, "tcp:127.0.0.1:" + in.port(),
                    MigrationParameters.defaults().withMaxBandwidth(0).withTimeouts(30_000, 30_000),
                    MigrationListener.NONE);
            MigrationStats stats = out.await(300_000);
            MigrationStatus end = in.await(30_000);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            sampler.interrupt();
            sampler.join();
            if (stats.status() != MigrationStatus.COMPLETED || end != MigrationStatus.COMPLETED) {
                throw new IllegalStateException("migration failed: " + stats.errorDesc() + " / " + in.error());
            }
            long diff = RamCompare.firstDifference(src.memory(), dst.memory());
            if (diff != -1) {
                throw new IllegalStateException("RAM differs at 0x" + Long.toHexString(diff));
            }
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%5dM %-9s %8d %8.0f  ", mib,
                    variant, ms, mib / (ms / 1000.0)));
            for (String t : THREADS) {
                long[] v = seen.getOrDefault(t, new long[3]);
                row.append(String.format(Locale.ROOT, " %-17s", v[0] * 10 + "/" + v[1] * 10 + "/" + v[2]));
            }
            System.out.println(row);
        }
    }

    /** Every page non-zero (a different first long per page), written through views: not VMM-dirty. */
    private static void fill(MemfdVm vm) {
        for (MemoryRegion r : vm.memory().regions()) {
            for (long off = 0; off < r.sizeBytes(); off += 1L << 30) {
                ByteBuffer v = r.view(off, (int) Math.min(1L << 30, r.sizeBytes() - off));
                for (int i = 0; i < v.capacity(); i += 8) {
                    v.putLong(i, 0x9E3779B97F4A7C15L * (off + i + 1));
                }
            }
        }
    }

    /** Keeps the latest utime, stime (ticks) and minor faults of each named thread until interrupted. */
    private static void sample(Map<String, long[]> seen) {
        while (!Thread.currentThread().isInterrupted()) {
            try (var tasks = Files.list(Path.of("/proc/self/task"))) {
                for (Path t : (Iterable<Path>) tasks::iterator) {
                    String name = Files.readString(t.resolve("comm")).trim();
                    if (THREADS.contains(name)) {
                        String[] f = Files.readString(t.resolve("stat")).replaceFirst("^.*\\) ", "").split(" ");
                        seen.put(name, new long[] {Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[7])});
                    }
                }
            } catch (IOException | java.io.UncheckedIOException e) {
                // A thread ended during the listing: the next sample sees the others.
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
