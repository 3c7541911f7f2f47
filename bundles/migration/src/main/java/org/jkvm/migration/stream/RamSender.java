package org.jkvm.migration.stream;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.jkvm.memory.DirtyBitmap;
import org.jkvm.memory.GuestMemory;
import org.jkvm.memory.MemoryRegion;

/**
 * Sends the pages marked in the to-send bitmaps as RAM and ZERO_RUN records: consecutive pages are grouped (up to
 * {@link StreamFormat#MAX_PAGES_PER_RECORD} per RAM record), a long stretch of zero pages becomes one 17-byte
 * ZERO_RUN record whatever its length, a short one costs one flag byte per page in a RAM record, and a non-zero
 * page is copied once from guest memory into the output buffer ({@link StreamOut} writes the records). Bits are
 * taken (cleared) as the pages are sent.
 * Not thread-safe; counters are read by the stats thread and may be slightly stale.
 */
public final class RamSender {
    /**
     * Shortest zero stretch inside a chunk sent as a ZERO_RUN record rather than as ZERO flags: splitting a RAM
     * record around it costs a ZERO_RUN (17 bytes) and another RAM header (15 bytes), i.e. 32 flag bytes.
     */
    static final int MIN_ZERO_RUN = 32;
    /** Most pages in one ZERO_RUN record the sender makes (1 GiB), so progress and stream stay granular. */
    static final long MAX_ZERO_RUN = 1L << 18;
    private final RamWindows ram;
    private final List<DirtyBitmap> toSend;
    private final StreamOut out;
    private final byte[] flags = new byte[StreamFormat.MAX_PAGES_PER_RECORD];
    private volatile long zeroPages;
    private volatile long normalPages;
    /** One bitmap per region of the pages that may hold data, for the next {@link #sendMarked} only; or null. */
    private List<DirtyBitmap> populated;
    private int runRegion = -1;
    private int zeroRegion = -1;
    private long zeroStart;
    private long zeroLength;
    private long runStart;
    private int runLength;

    /**
     * @param ram    views of guest RAM
     * @param toSend one bitmap per region, in region order
     * @param out    the stream
     */
    public RamSender(RamWindows ram, List<DirtyBitmap> toSend, StreamOut out) {
        this.ram = ram;
        this.toSend = toSend;
        this.out = out;
    }

    /**
     * Sends every marked page and clears its bit.
     *
     * @param abort checked between records; when it returns true the pass stops early
     * @return the number of pages sent
     */
    public long sendMarked(BooleanSupplier abort) throws IOException {
        try {
            return sendMarkedPages(abort);
        } finally {
            populated = null; // a page written later must be read: the hint never outlives the pass it was made for
        }
    }

    /**
     * Lets the next {@link #sendMarked} (round 0) send a page as ZERO without reading it when it is not marked in
     * {@code populated} (see {@link MemoryRegion#populated()}): reading never-touched memory costs a fault per page
     * (and allocates shared memory) on the source for nothing. The caller must take the snapshot after dirty logging
     * started, so any page written after the snapshot is dirty and is sent again, read, in a later pass.
     *
     * @param populated one bitmap per region, in region order
     */
    public void firstPassPopulated(List<DirtyBitmap> populated) {
        if (populated.size() != toSend.size()) {
            throw new IllegalArgumentException("need one populated bitmap per region (" + toSend.size() + "), got "
                    + populated.size());
        }
        this.populated = populated;
    }

    /** {@link MemoryRegion#populated()} of every region of {@code memory}, in region order. */
    public static List<DirtyBitmap> populated(GuestMemory memory) {
        List<DirtyBitmap> list = new ArrayList<>();
        for (MemoryRegion r : memory.regions()) {
            list.add(r.populated());
        }
        return list;
    }

    private long sendMarkedPages(BooleanSupplier abort) throws IOException {
        long sent = 0;
        for (int r = 0; r < toSend.size(); r++) {
            DirtyBitmap bitmap = toSend.get(r);
            int words = bitmap.wordCount();
            for (int w = 0; w < words; w++) {
                long bits = bitmap.takeWord(w);
                while (bits != 0) {
                    int tz = Long.numberOfTrailingZeros(bits);
                    int len = Long.numberOfTrailingZeros(~(bits >>> tz));
                    if (tz + len >= 64) {
                        len = 64 - tz;
                        bits = 0;
                    } else {
                        bits &= -1L << (tz + len);
                    }
                    sent += addRun(r, ((long) w << 6) + tz, len);
                }
                if ((w & 63) == 0 && abort.getAsBoolean()) {
                    flushRun();
                    return sent;
                }
            }
        }
        flushRun();
        return sent;
    }

    /** One bitmap per region of {@code memory}, every page marked: what round 0 sends. */
    public static List<DirtyBitmap> allMarked(GuestMemory memory) {
        List<DirtyBitmap> list = new ArrayList<>();
        for (MemoryRegion r : memory.regions()) {
            DirtyBitmap b = new DirtyBitmap(r.pages());
            b.markAll();
            list.add(b);
        }
        return list;
    }

    /** Pages marked in all the bitmaps. */
    public static long count(List<DirtyBitmap> bitmaps) {
        long n = 0;
        for (DirtyBitmap b : bitmaps) {
            n += b.count();
        }
        return n;
    }

    /** Pages sent as zero (a ZERO flag or in a ZERO_RUN record) so far. */
    public long zeroPages() {
        return zeroPages;
    }

    /** Pages sent with their data so far. */
    public long normalPages() {
        return normalPages;
    }

    private int addRun(int region, long page, int len) throws IOException {
        if (runRegion == region && runStart + runLength == page) {
            runLength += len;
        } else {
            flushRun();
            runRegion = region;
            runStart = page;
            runLength = len;
        }
        while (runLength >= StreamFormat.MAX_PAGES_PER_RECORD) {
            record(runRegion, runStart, StreamFormat.MAX_PAGES_PER_RECORD);
            runStart += StreamFormat.MAX_PAGES_PER_RECORD;
            runLength -= StreamFormat.MAX_PAGES_PER_RECORD;
        }
        return len;
    }

    private void flushRun() throws IOException {
        if (runLength > 0) {
            record(runRegion, runStart, runLength);
        }
        runRegion = -1;
        runLength = 0;
        flushZeroRun();
    }

    /**
     * Pages {@code [first, first + count)} of a region (count at most {@link StreamFormat#MAX_PAGES_PER_RECORD}):
     * zero stretches of at least {@link #MIN_ZERO_RUN} pages, or reaching the end of the chunk, or continuing the
     * pending zero run, go into that run; the rest into RAM records (a short zero stretch there costs one flag).
     */
    private void record(int region, long first, int count) throws IOException {
        if (populated != null && noneMarked(populated.get(region), first, count)) {
            addZeroRun(region, first, count); // what the loop below decides too, without 256 steps (idle guests)
            return;
        }
        // Classify first, copy later: a page that changes in between is dirty again and is resent.
        for (int i = 0; i < count; i++) {
            long page = first + i;
            boolean zero = (populated != null && !populated.get(region).isDirty(page))
                    || RamWindows.isZero(ram.window(region, page), RamWindows.offset(page));
            flags[i] = (byte) (zero ? StreamFormat.RAM_ZERO : StreamFormat.RAM_PAGE);
        }
        int i = 0;
        while (i < count) {
            int zeros = zerosFrom(i, count);
            boolean joins = zeroRegion == region && zeroStart + zeroLength == first + i;
            if (zeros > 0 && (zeros >= MIN_ZERO_RUN || i + zeros == count || joins)) {
                addZeroRun(region, first + i, zeros);
                i += zeros;
                continue;
            }
            int k = i;
            while (k < count) {
                int z = zerosFrom(k, count);
                if (z == 0) {
                    k++;
                } else if (z >= MIN_ZERO_RUN || k + z == count) {
                    break;
                } else {
                    k += z;
                }
            }
            flushZeroRun();
            ramRecord(region, first, i, k);
            i = k;
        }
    }

    /** Whether no page of {@code [first, first + count)} is marked in {@code bitmap}, a word at a time. */
    static boolean noneMarked(DirtyBitmap bitmap, long first, int count) {
        long end = first + count;
        for (long p = first; p < end; p = (p | 63) + 1) {
            long bits = bitmap.word((int) (p >>> 6)) >>> (p & 63);
            long span = Math.min(end, (p | 63) + 1) - p;
            if (span < 64 && (bits & ((1L << span) - 1)) != 0 || span == 64 && bits != 0) {
                return false;
            }
        }
        return true;
    }

    /** The number of ZERO flags from index {@code i} on, before the first PAGE flag or {@code count}. */
    private int zerosFrom(int i, int count) {
        int j = i;
        while (j < count && flags[j] == StreamFormat.RAM_ZERO) {
            j++;
        }
        return j - i;
    }

    private void addZeroRun(int region, long page, int pages) throws IOException {
        if (zeroRegion != region || zeroStart + zeroLength != page || zeroLength + pages > MAX_ZERO_RUN) {
            flushZeroRun();
            zeroRegion = region;
            zeroStart = page;
        }
        zeroLength += pages;
        zeroPages += pages;
    }

    /** Sends the pending zero run, if any, as one ZERO_RUN record. */
    private void flushZeroRun() throws IOException {
        if (zeroLength > 0) {
            MemoryRegion r = ram.regions().get(zeroRegion);
            out.zeroRun(r.gpa() + zeroStart * StreamFormat.PAGE_SIZE, zeroLength);
        }
        zeroRegion = -1;
        zeroLength = 0;
    }

    /** One RAM record for the pages of flags {@code [from, to)}, i.e. pages {@code first + from ..}. */
    private void ramRecord(int region, long first, int from, int to) throws IOException {
        int count = to - from;
        int data = out.ram(ram, region, first + from, flags, from, count);
        zeroPages += count - data;
        normalPages += data;
    }
}
