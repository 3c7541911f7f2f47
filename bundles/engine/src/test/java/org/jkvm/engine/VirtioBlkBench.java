package org.jkvm.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.jkvm.block.BlockImages;
import org.jkvm.hypervisor.Accelerator;
import org.jkvm.loader.TinyElf;

/**
 * virtio-blk through a guest, printed as a table (not a test): a polling guest ({@code virtio-blk-bench.S}) makes
 * requests one at a time (queue depth 1) over a 64 MiB image: 4 KiB reads and writes per second and 1 MiB
 * sequential MiB/s, on raw and qcow2, per backend. The time is from {@code cont} to the guest's exit, so it includes
 * the guest's set-up (a few hundred instructions).
 *
 * <p>Run: {@code bin/jkvm-bench VirtioBlkBench} ({@code -Dcache=MODE}, default writeback; {@code -Dcount=N} 4 KiB
 * requests per pass, default 20000; {@code -Daccel=kvm|tcg} for one backend).
 */
public final class VirtioBlkBench {
    private static final int MIB = 1 << 20;

    private VirtioBlkBench() {
    }

    /** Entry point; prints the table. */
    public static void main(String[] args) throws Exception {
        String cache = System.getProperty("cache", "writeback");
        int count = Integer.getInteger("count", 20_000);
        Path dir = Files.createTempDirectory("virtio-blk-bench");
        List<Accelerator> accels = System.getProperty("accel") != null
                ? List.of(VmConfigParser.parseAccel(System.getProperty("accel"))) : CrossBackendTest.available();
        System.out.printf(Locale.ROOT, "%-6s %-6s %-10s %12s %12s %14s %14s%n", "accel", "format", "cache",
                "4k rd req/s", "4k wr req/s", "1M rd MiB/s", "1M wr MiB/s");
        for (Accelerator accel : accels) {
            for (String format : List.of("raw", "qcow2")) {
                Path img = dir.resolve("bench." + format);
                Files.deleteIfExists(img);
                if (format.equals("raw")) {
                    try (var f = new java.io.RandomAccessFile(img.toFile(), "rw")) {
                        f.setLength(64L * MIB);
                    }
                } else {
                    BlockImages.createQcow2(img, 64L * MIB, 65536, null, null);
                }
                double wr4k = count / run(dir, accel, img, format, cache, count, 4096, true);
                double rd4k = count / run(dir, accel, img, format, cache, count, 4096, false);
                int big = Math.max(64, count / 100);
                double wr1m = big / run(dir, accel, img, format, cache, big, MIB, true);
                double rd1m = big / run(dir, accel, img, format, cache, big, MIB, false);
                System.out.printf(Locale.ROOT, "%-6s %-6s %-10s %12.0f %12.0f %14.1f %14.1f%n", accel.optionName(),
                        format, cache, rd4k, wr4k, rd1m, wr1m);
            }
        }
    }

    /** Seconds the guest takes for {@code count} requests of {@code size} bytes. */
    private static double run(Path dir, Accelerator accel, Path img, String format, String cache, int count,
            int size, boolean write) throws Exception {
        byte[] code = GuestAsm.assemble("virtio-blk-bench.S", dir, "SLOT=4", "COUNT=" + count, "SIZE=" + size,
                "WRITE=" + (write ? 1 : 0), "SPAN=" + (64 * MIB));
        Path elf = dir.resolve("bench.elf");
        Files.write(elf, TinyElf.elf32(code, true, 0));
        List<String> argv = new ArrayList<>(List.of("-accel", accel.optionName(), "-m", "64M", "-kernel",
                elf.toString(), "-drive", "file=" + img + ",format=" + format + ",if=none,id=d0,cache=" + cache,
                "-device", "virtio-blk-pci,drive=d0,addr=4"));
        try (Vm vm = Vm.create(VmConfigParser.parse(argv))) {
            long t0 = System.nanoTime();
            vm.cont();
            VmExit exit = vm.awaitExit();
            double secs = (System.nanoTime() - t0) / 1e9;
            if (exit.status() != 42) {
                throw new IllegalStateException("the bench guest failed: " + exit.reason());
            }
            return secs;
        }
    }
}
