package org.jkvm.block;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Disk image speed on this host, printed as a table (not a test): 4 KiB random reads and writes per second (queue
 * depth 1) and sequential MiB/s in 1 MiB requests, on raw and qcow2 with each cache mode, beside
 * {@code qemu-img bench} (sequential, depth 1, same request size and cache mode) where qemu-img is installed.
 * Writes to a fresh qcow2 allocate; the random passes run after the sequential fill, so they do not.
 *
 * <p>Run: {@code bin/jkvm-bench BlockBench} ({@code -Dmib=N} image size, default 256; {@code -Dops=N} requests per
 * 4 KiB pass, default 20000, a tenth with writethrough; {@code -Ddir=PATH} where the images go, default
 * java.io.tmpdir; {@code -Dformats=raw,qcow2} and {@code -Dcaches=none,writeback,writethrough,unsafe} choose the
 * rows).
 */
public final class BlockBench {
    private static final Pattern SECONDS = Pattern.compile("Run completed in ([0-9.]+) seconds");

    private BlockBench() {
    }

    /** Entry point; prints the table. */
    public static void main(String[] args) throws Exception {
        int mib = Integer.getInteger("mib", 256);
        int ops = Integer.getInteger("ops", 20_000);
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("dir", System.getProperty("java.io.tmpdir"))),
                "block-bench");
        boolean qemu = QemuTools.exec(List.of("sh", "-c", "command -v qemu-img")).exit() == 0;
        System.out.printf(Locale.ROOT, "%-6s %-12s %12s %12s %12s %12s %12s | %14s %14s %12s%n", "format",
                "cache", "4k rnd rd/s", "4k rnd wr/s", "4k seq wr/s", "seq rd MiB/s", "seq wr MiB/s", "qemu 4k rd/s",
                "qemu 4k wr/s", "qemu wr MiB/s");
        for (String format : System.getProperty("formats", "raw,qcow2").split(",")) {
            for (String mode : System.getProperty("caches", "none,writeback,writethrough,unsafe").split(",")) {
                CacheMode cache = CacheMode.parse(mode);
                Path img = dir.resolve("bench." + format);
                Files.deleteIfExists(img);
                if (format.equals("raw")) {
                    try (var f = new java.io.RandomAccessFile(img.toFile(), "rw")) {
                        f.setLength((long) mib << 20);
                    }
                } else {
                    BlockImages.createQcow2(img, (long) mib << 20, 65536, null, null);
                }
                double[] j = jkvm(img, ImageFormat.parse(format), cache, mib,
                        cache == CacheMode.WRITETHROUGH ? ops / 10 : ops);
                String[] q = qemu ? qemuBench(img, format, cache, cache == CacheMode.WRITETHROUGH ? ops / 10 : ops,
                        mib) : new String[] {"-", "-", "-"};
                System.out.printf(Locale.ROOT, "%-6s %-12s %12.0f %12.0f %12.0f %12.1f %12.1f | %14s %14s %12s%n",
                        format, cache.spelling(), j[0], j[1], j[4], j[2], j[3], q[0], q[1], q[2]);
                Files.deleteIfExists(img);
            }
        }
        Files.deleteIfExists(dir);
    }

    /**
     * {4k random reads/s, 4k random writes/s, sequential read MiB/s, sequential write MiB/s, 4k sequential writes/s
     * (what {@code qemu-img bench -w -s 4k} does, so the qemu column compares with this one)}.
     */
    private static double[] jkvm(Path img, ImageFormat format, CacheMode cache, int mib, int ops) {
        double[] r = new double[5];
        try (BlockImage image = BlockImages.open(img, OpenOptions.of(format).withCache(cache))) {
            ByteBuffer big = ByteBuffer.allocateDirect((1 << 20) + 4096).alignedSlice(4096);
            ByteBuffer small = ByteBuffer.allocateDirect(8192).alignedSlice(4096).limit(4096);
            long t0 = System.nanoTime();
            for (int i = 0; i < mib; i++) {
                big.clear().limit(1 << 20);
                image.write((long) i << 20, big);
            }
            image.flush();
            r[3] = mib / secs(t0);
            t0 = System.nanoTime();
            for (int i = 0; i < mib; i++) {
                big.clear().limit(1 << 20);
                image.read((long) i << 20, big);
            }
            r[2] = mib / secs(t0);
            Random rnd = new Random(1);
            long blocks = ((long) mib << 20) / 4096;
            t0 = System.nanoTime();
            for (int i = 0; i < ops; i++) {
                small.clear().limit(4096);
                image.read((rnd.nextLong() & Long.MAX_VALUE) % blocks * 4096, small);
            }
            r[0] = ops / secs(t0);
            t0 = System.nanoTime();
            for (int i = 0; i < ops; i++) {
                small.clear().limit(4096);
                image.write((rnd.nextLong() & Long.MAX_VALUE) % blocks * 4096, small);
            }
            image.flush();
            r[1] = ops / secs(t0);
            t0 = System.nanoTime();
            for (int i = 0; i < ops; i++) {
                small.clear().limit(4096);
                image.write((long) i * 4096 % (blocks * 4096), small);
            }
            image.flush();
            r[4] = ops / secs(t0);
        }
        return r;
    }

    /** qemu-img bench: {4k sequential reads/s, 4k sequential writes/s, 1 MiB sequential writes MiB/s}. */
    private static String[] qemuBench(Path img, String format, CacheMode cache, int ops, int mib) {
        String t = cache.spelling();
        return new String[] {
            rate(img, format, t, ops, "4k", false, ops),
            rate(img, format, t, ops, "4k", true, ops),
            rate(img, format, t, mib, "1M", true, mib)};
    }

    private static String rate(Path img, String format, String cache, int count, String size, boolean write,
            double units) {
        List<String> cmd = new java.util.ArrayList<>(List.of("qemu-img", "bench", "-f", format, "-t", cache, "-d",
                "1", "-c", Integer.toString(count), "-s", size));
        if (write) {
            cmd.add("-w");
        }
        cmd.add(img.toString());
        QemuTools.Result res = QemuTools.exec(cmd);
        Matcher m = SECONDS.matcher(res.output());
        return m.find() ? String.format(Locale.ROOT, "%.0f", units / Double.parseDouble(m.group(1))) : "failed";
    }

    private static double secs(long t0) {
        return Math.max(1e-9, (System.nanoTime() - t0) / 1e9);
    }
}
