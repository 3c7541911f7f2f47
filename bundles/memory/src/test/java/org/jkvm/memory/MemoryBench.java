package org.jkvm.memory;

import java.nio.ByteBuffer;

/**
 * Costs of guest memory access from the VMM: first touch of fresh RAM, 4 KiB page writes through
 * {@link GuestMemory#write} (copy + dirty mark), page reads through region views (what migration sends), and
 * scalar little-endian accesses (what devices do). Prints a table.
 *
 * <pre>
 * mvn -B -q -o test-compile dependency:build-classpath -pl bundles/memory -Dmdep.outputFile=/tmp/mem-cp.txt
 * java -cp bundles/memory/target/test-classes:bundles/memory/target/classes:$(cat /tmp/mem-cp.txt) \
 *     org.jkvm.memory.MemoryBench 256
 * </pre>
 */
public final class MemoryBench {
    private MemoryBench() {
    }

    public static void main(String[] args) {
        long mib = args.length > 0 ? Long.parseLong(args[0]) : 256;
        long bytes = mib << 20;
        System.out.printf("%-44s %12s %s%n", "measure (" + mib + " MiB guest)", "value", "unit");
        try (MmapGuestMemory mem = MmapGuestMemory.allocate(bytes)) {
            MemoryRegion r = mem.regions().get(0);
            long t0 = System.nanoTime();
            long none = r.populated().count();
            row("populated() of fresh RAM (" + none + " pages)", (System.nanoTime() - t0) / 1e6, "ms");
            t0 = System.nanoTime();
            for (long off = 0; off < bytes; off += 1L << 30) {
                ByteBuffer v = r.view(off, (int) Math.min(1L << 30, bytes - off));
                for (int i = 0; i < v.capacity(); i += GuestMemory.PAGE_SIZE) {
                    v.put(i, (byte) 1);
                }
            }
            row("first touch of fresh RAM", bytes / ((System.nanoTime() - t0) / 1e9) / (1 << 20), "MiB/s");
            t0 = System.nanoTime();
            long populated = r.populated().count();
            row("populated() of the touched RAM (" + (populated == r.pages() ? "all" : "SOME MISSING") + ")",
                    (System.nanoTime() - t0) / 1e6, "ms");

            ByteBuffer page = ByteBuffer.allocateDirect(GuestMemory.PAGE_SIZE);
            for (int round = 0; round < 3; round++) { // the last round is the warm one
                t0 = System.nanoTime();
                for (long gpa = 0; gpa < bytes; gpa += GuestMemory.PAGE_SIZE) {
                    page.clear();
                    mem.write(gpa, page);
                }
                double write = bytes / ((System.nanoTime() - t0) / 1e9) / (1 << 20);
                t0 = System.nanoTime();
                long sum = 0;
                for (long gpa = 0; gpa < bytes; gpa += GuestMemory.PAGE_SIZE) {
                    page.clear();
                    mem.read(gpa, page);
                    sum += page.get(0);
                }
                double read = bytes / ((System.nanoTime() - t0) / 1e9) / (1 << 20);
                r.vmmDirty().clear();
                if (round == 2) {
                    row("write() 4 KiB pages (copy + dirty mark)", write, "MiB/s");
                    row("read() 4 KiB pages" + (sum < 0 ? "!" : ""), read, "MiB/s");
                }
            }

            long n = 0;
            t0 = System.nanoTime();
            for (int round = 0; round < 20; round++) {
                for (long gpa = 0; gpa < (16 << 20); gpa += 64) {
                    mem.writeLongLE(gpa, gpa);
                    n += mem.readLongLE(gpa) == gpa ? 1 : 0;
                }
            }
            row("writeLongLE + readLongLE pairs", n / ((System.nanoTime() - t0) / 1e9) / 1e6, "M/s");
        }
    }

    private static void row(String name, double value, String unit) {
        System.out.printf("%-44s %12.1f %s%n", name, value, unit);
    }
}
