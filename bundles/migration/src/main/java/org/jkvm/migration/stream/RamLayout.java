package org.jkvm.migration.stream;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.memory.DirtyBitmap;
import org.jkvm.memory.MemoryRegion;

/**
 * The RAM_LAYOUT record (stream version 3): the extents of guest RAM where round 0 will send data, in stream
 * order, so the destination can allocate that memory on another thread ahead of the stream instead of taking one
 * page fault per fresh page in its receive loop. It is a hint: the destination stays correct whatever it says, and
 * it never makes the destination allocate what the source will send as zero (beyond short gaps, see
 * {@link #MIN_GAP_PAGES}). The source computes the extents here and writes them with {@link StreamOut#ramLayout};
 * the destination reads them here.
 */
public final class RamLayout {
    /**
     * Zero or never-populated stretches shorter than this (64 KiB) between two extents are absorbed into one extent:
     * the destination then allocates a few zero pages, and the record stays small.
     */
    static final int MIN_GAP_PAGES = 16;

    private RamLayout() {
    }

    /** {@code pages} pages from the page-aligned guest-physical address {@code gpa}. */
    public record Extent(long gpa, long pages) {
        /** The guest-physical address just past the extent. */
        public long end() {
            return gpa + pages * StreamFormat.PAGE_SIZE;
        }
    }

    /**
     * The extents of the pages that are populated (per {@code populated}, one bitmap per region, the round-0 hint
     * of {@link RamSender#firstPassPopulated}) and not all zero now. Reads one cache line of most populated pages
     * (a non-zero page usually shows it in its first bytes), all of a zero one.
     */
    public static List<Extent> of(RamWindows ram, List<DirtyBitmap> populated) {
        List<List<Extent>> perRegion = new ArrayList<>();
        for (int r = 0; r < ram.regions().size(); r++) {
            MemoryRegion region = ram.regions().get(r);
            DirtyBitmap pop = populated.get(r);
            List<Extent> out = new ArrayList<>();
            long start = -1;
            long lastData = -1;
            for (int w = 0; w < pop.wordCount(); w++) {
                long bits = pop.word(w); // only populated pages are read: an idle guest's scan reads almost nothing
                while (bits != 0) {
                    long page = ((long) w << 6) + Long.numberOfTrailingZeros(bits);
                    bits &= bits - 1;
                    if (RamWindows.isZero(ram.window(r, page), RamWindows.offset(page))) {
                        continue;
                    }
                    if (start >= 0 && page - lastData - 1 >= MIN_GAP_PAGES) {
                        out.add(extent(region, start, lastData));
                        start = -1;
                    }
                    if (start < 0) {
                        start = page;
                    }
                    lastData = page;
                }
            }
            if (start >= 0) {
                out.add(extent(region, start, lastData));
            }
            perRegion.add(out);
        }
        return fit(perRegion, StreamFormat.MAX_LAYOUT_EXTENTS);
    }

    private static Extent extent(MemoryRegion region, long first, long last) {
        return new Extent(region.gpa() + first * StreamFormat.PAGE_SIZE, last - first + 1);
    }

    /**
     * At most {@code max} extents in all: neighbours in the same region (one list per region) whose gap is below a
     * threshold are merged, the threshold doubling until they fit (a fragmented guest's destination then
     * allocates some zero pages). Never merges across regions, so each extent stays inside one.
     */
    public static List<Extent> fit(List<List<Extent>> perRegion, int max) {
        List<List<Extent>> lists = perRegion;
        for (long gap = 2L * MIN_GAP_PAGES; total(lists) > max; gap *= 2) {
            List<List<Extent>> next = new ArrayList<>();
            for (List<Extent> list : lists) {
                List<Extent> merged = new ArrayList<>();
                for (Extent e : list) {
                    Extent last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
                    if (last != null && (e.gpa() - last.end()) / StreamFormat.PAGE_SIZE < gap) {
                        merged.set(merged.size() - 1, new Extent(last.gpa(),
                                (e.end() - last.gpa()) / StreamFormat.PAGE_SIZE));
                    } else {
                        merged.add(e);
                    }
                }
                next.add(merged);
            }
            lists = next;
        }
        List<Extent> all = new ArrayList<>();
        lists.forEach(all::addAll);
        return all;
    }

    private static long total(List<List<Extent>> lists) {
        long n = 0;
        for (List<Extent> l : lists) {
            n += l.size();
        }
        return n;
    }

    /**
     * Reads the fields and CRC of a RAM_LAYOUT record (its type byte already read) and checks it whole: the count
     * cap before allocating, the CRC, then every extent (non-empty, page-aligned, ascending without overlap, inside
     * one RAM region here).
     *
     * @throws StreamException naming the record or the bad extent
     */
    static List<Extent> read(StreamIn in, RamWindows ram) throws IOException {
        int n = in.u32();
        if (n < 0 || n > StreamFormat.MAX_LAYOUT_EXTENTS) {
            throw new StreamException("the RAM_LAYOUT record claims " + Integer.toUnsignedString(n)
                    + " extents, more than the " + StreamFormat.MAX_LAYOUT_EXTENTS + " allowed; the stream is corrupt");
        }
        long[] gpas = new long[n];
        long[] pages = new long[n];
        for (int i = 0; i < n; i++) {
            gpas[i] = in.u64();
            pages[i] = Integer.toUnsignedLong(in.u32());
        }
        in.end("RAM_LAYOUT record");
        List<Extent> extents = new ArrayList<>(n);
        long end = 0;
        for (int i = 0; i < n; i++) {
            Extent e = new Extent(gpas[i], pages[i]);
            boolean ok = pages[i] >= 1 && (gpas[i] & (StreamFormat.PAGE_SIZE - 1)) == 0
                    && Long.compareUnsigned(gpas[i], end) >= 0 && ram.regionOf(gpas[i], pages[i]) >= 0;
            if (!ok) {
                throw new StreamException("extent " + i + " of the RAM_LAYOUT record (gpa 0x"
                        + Long.toHexString(gpas[i]) + ", " + pages[i] + " pages) is empty, unaligned, overlaps the "
                        + "previous one or is not guest RAM here; the stream is corrupt or the memory layouts differ");
            }
            extents.add(e);
            end = e.end();
        }
        return List.copyOf(extents);
    }
}
