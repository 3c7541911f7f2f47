package org.jkvm.migration.stream;

import java.nio.ByteBuffer;
import java.util.List;

import org.jkvm.memory.GuestMemory;
import org.jkvm.memory.MemoryRegion;

/**
 * Direct views of all guest RAM, made once per migration: each region is cut into windows of at most 1 GiB
 * (a {@link ByteBuffer} indexes with an int). A page is addressed as (region, page index in the region).
 */
public final class RamWindows {
    private static final int WINDOW_SHIFT = 30;
    private static final int PAGES_PER_WINDOW_SHIFT = WINDOW_SHIFT - 12;

    private final List<MemoryRegion> regions;
    private final ByteBuffer[][] windows;

    /** @param memory the guest RAM; its regions must not change while this is used */
    public RamWindows(GuestMemory memory) {
        this.regions = List.copyOf(memory.regions());
        this.windows = new ByteBuffer[regions.size()][];
        for (int r = 0; r < regions.size(); r++) {
            MemoryRegion region = regions.get(r);
            int count = (int) ((region.sizeBytes() + (1L << WINDOW_SHIFT) - 1) >>> WINDOW_SHIFT);
            windows[r] = new ByteBuffer[count];
            for (int w = 0; w < count; w++) {
                long off = (long) w << WINDOW_SHIFT;
                windows[r][w] = region.view(off, (int) Math.min(1L << WINDOW_SHIFT, region.sizeBytes() - off));
            }
        }
    }

    /** The regions, in gpa order. */
    public List<MemoryRegion> regions() {
        return regions;
    }

    /** The window holding page {@code page} of region {@code region}. */
    public ByteBuffer window(int region, long page) {
        return windows[region][(int) (page >>> PAGES_PER_WINDOW_SHIFT)];
    }

    /** The byte offset of page {@code page} in its window. */
    public static int offset(long page) {
        return (int) (page & ((1L << PAGES_PER_WINDOW_SHIFT) - 1)) << 12;
    }

    /** Pages from {@code page} to the end of its window (a run of pages inside one window is one buffer range). */
    static long pagesLeftInWindow(long page) {
        return (page | ((1L << PAGES_PER_WINDOW_SHIFT) - 1)) + 1 - page;
    }

    /** The region index holding {@code [gpa, gpa + pages * PAGE_SIZE)} entirely, or -1. */
    public int regionOf(long gpa, long pages) {
        long bytes = pages * StreamFormat.PAGE_SIZE;
        for (int r = 0; r < regions.size(); r++) {
            MemoryRegion region = regions.get(r);
            if (gpa >= region.gpa() && gpa - region.gpa() <= region.sizeBytes() - bytes) {
                return r;
            }
        }
        return -1;
    }

    /** Whether the page at {@code offset} of {@code window} is all zeros (reads 8 bytes at a time). */
    public static boolean isZero(ByteBuffer window, int offset) {
        int end = offset + StreamFormat.PAGE_SIZE;
        for (int i = offset; i < end; i += 8) {
            if (window.getLong(i) != 0) {
                return false;
            }
        }
        return true;
    }
}
