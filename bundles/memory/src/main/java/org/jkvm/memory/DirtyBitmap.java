package org.jkvm.memory;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One bit per page, set concurrently by writers and collected by migration.
 *
 * <p>The word layout is that of KVM's dirty log (bit {@code i % 64} of 64-bit word {@code i / 64} is page
 * {@code i}), so a KVM log can be OR'ed in word by word. Thread-safe: {@link #mark} and {@link #drainInto} may
 * race; a page marked during a drain is either drained now or seen by the next drain, never lost.
 */
public final class DirtyBitmap {
    private final long pages;
    private final AtomicLongArray words;

    /** @param pages number of pages tracked */
    public DirtyBitmap(long pages) {
        if (pages < 0 || (pages + 63) / 64 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("cannot track " + pages + " pages");
        }
        this.pages = pages;
        this.words = new AtomicLongArray((int) ((pages + 63) / 64));
    }

    /** Number of pages tracked. */
    public long pages() {
        return pages;
    }

    /** Number of 64-bit words ({@code ceil(pages / 64)}). */
    public int wordCount() {
        return words.length();
    }

    /** Marks one page dirty. */
    public void mark(long page) {
        int w = (int) (page >>> 6);
        long bit = 1L << (page & 63);
        long old;
        do {
            old = words.get(w);
            if ((old & bit) != 0) {
                return;
            }
        } while (!words.compareAndSet(w, old, old | bit));
    }

    /** Marks every page overlapping {@code [offset, offset + length)} (byte offsets within the region). */
    public void markRange(long offset, long length) {
        if (length <= 0) {
            return;
        }
        long page = offset / GuestMemory.PAGE_SIZE;
        long end = (offset + length - 1) / GuestMemory.PAGE_SIZE + 1;
        while (page < end) {
            int low = (int) (page & 63);
            long n = Math.min(64 - low, end - page);
            orWord((int) (page >>> 6), n == 64 ? -1L : ((1L << n) - 1) << low);
            page += n;
        }
    }

    /** Marks every page (the first pass of a migration sends all of RAM). */
    public void markAll() {
        for (int i = 0; i < words.length(); i++) {
            words.set(i, -1L);
        }
        int tail = (int) (pages & 63);
        if (tail != 0) {
            words.set(words.length() - 1, (1L << tail) - 1);
        }
    }

    /** Whether a page is marked. */
    public boolean isDirty(long page) {
        return (words.get((int) (page >>> 6)) & (1L << (page & 63))) != 0;
    }

    /** ORs one word in (e.g. a word of KVM's dirty log). */
    public void orWord(int index, long bits) {
        if (bits != 0) {
            words.getAndAccumulate(index, bits, (a, b) -> a | b);
        }
    }

    /** Reads one word (pages {@code 64 * index} to {@code 64 * index + 63}, bit i = page 64 * index + i). */
    public long word(int index) {
        return words.get(index);
    }

    /** Atomically reads and clears one word. */
    public long takeWord(int index) {
        return words.getAndSet(index, 0L);
    }

    /** ORs this bitmap into {@code target} and clears this one; returns the number of pages moved. */
    public long drainInto(DirtyBitmap target) {
        if (target.wordCount() != wordCount()) {
            throw new IllegalArgumentException("bitmaps differ in size: " + pages + " vs " + target.pages + " pages");
        }
        long count = 0;
        for (int i = 0; i < words.length(); i++) {
            long bits = words.getAndSet(i, 0L);
            if (bits != 0) {
                target.orWord(i, bits);
                count += Long.bitCount(bits);
            }
        }
        return count;
    }

    /** Number of pages marked. */
    public long count() {
        long count = 0;
        for (int i = 0; i < words.length(); i++) {
            count += Long.bitCount(words.get(i));
        }
        return count;
    }

    /** Clears every bit. */
    public void clear() {
        for (int i = 0; i < words.length(); i++) {
            words.set(i, 0L);
        }
    }
}
