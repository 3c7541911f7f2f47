package org.jkvm.migration;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import org.jkvm.memory.DirtyBitmap;
import org.jkvm.memory.MmapGuestMemory;
import org.jkvm.migration.stream.RamSender;
import org.jkvm.migration.stream.RamWindows;
import org.jkvm.migration.stream.StreamOut;

/**
 * Round 0 of a migration over real guest RAM ({@link MmapGuestMemory}) into a byte-counting sink: reading every
 * page to find zero pages (the old way) against skipping never-populated pages ({@code MemoryRegion.populated()}).
 * Each row uses fresh RAM. Columns: populated() scan, the pass itself, the source's shared-memory growth (RssShmem)
 * and the stream size. Prints a table.
 *
 * <pre>
 * bin/jkvm-bench FirstPassBench          1 GiB guest
 * bin/jkvm-bench FirstPassBench 256      256 MiB guest
 * </pre>
 */
public final class FirstPassBench {
    private static final long MIB = 1L << 20;
    private static final int PAGE = 4096;

    private FirstPassBench() {
    }

    public static void main(String[] args) throws IOException {
        long mib = args.length > 0 ? Long.parseLong(args[0]) : 1024;
        String row = "%-44s %8s %9s %9s %11s %9s%n";
        System.out.printf(Locale.ROOT, row, "round 0 of a " + mib + " MiB guest", "scan ms", "pass ms",
                "total ms", "src +MiB", "sent MiB");
        long bytes = mib * MIB;
        long step16m = bytes / (16 * MIB) > 0 ? (bytes / PAGE) / (16 * MIB / PAGE) : 1;
        run(row, "idle, 16 MiB written, read every page", bytes, step16m, false);
        run(row, "idle, 16 MiB written, skip unpopulated", bytes, step16m, true);
        run(row, "idle, nothing written, read every page", bytes, 0, false);
        run(row, "idle, nothing written, skip unpopulated", bytes, 0, true);
        run(row, "half RAM, every 2nd page written, read all", bytes / 2, 2, false);
        run(row, "half RAM, every 2nd page written, skip", bytes / 2, 2, true); // worst case for the scan
    }

    /** Writes every {@code stride}-th page (none when 0), then times round 0 with or without the hint. */
    static void run(String row, String name, long bytes, long stride, boolean hint) throws IOException {
        try (MmapGuestMemory mem = MmapGuestMemory.allocate(bytes)) {
            if (stride > 0) {
                for (long p = 0; p < bytes / PAGE; p += stride) {
                    mem.writeLongLE(p * PAGE, p + 1);
                }
            }
            long shmem0 = rssShmemKib();
            List<DirtyBitmap> bitmaps = RamSender.allMarked(mem);
            CountingSink sink = new CountingSink();
            StreamOut out = new StreamOut(sink, 4 << 20, StreamOut.UNLIMITED);
            RamSender sender = new RamSender(new RamWindows(mem), bitmaps, out);
            long t0 = System.nanoTime();
            if (hint) {
                sender.firstPassPopulated(RamSender.populated(mem));
            }
            long t1 = System.nanoTime();
            sender.sendMarked(() -> false);
            out.flush();
            long t2 = System.nanoTime();
            System.out.printf(Locale.ROOT, row, name, hint ? String.format(Locale.ROOT, "%.1f", (t1 - t0) / 1e6) : "-",
                    String.format(Locale.ROOT, "%.0f", (t2 - t1) / 1e6),
                    String.format(Locale.ROOT, "%.0f", (t2 - t0) / 1e6),
                    String.format(Locale.ROOT, "%.0f", (rssShmemKib() - shmem0) / 1024.0),
                    String.format(Locale.ROOT, "%.1f", sink.bytes / (double) MIB));
        }
    }

    static long rssShmemKib() throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("RssShmem:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    /** A channel that only counts. */
    static final class CountingSink implements WritableByteChannel {
        long bytes;

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            src.position(src.limit());
            bytes += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }
}
