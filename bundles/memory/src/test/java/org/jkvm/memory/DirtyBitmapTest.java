package org.jkvm.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class DirtyBitmapTest {
    @Test
    void marksRangesAndCounts() {
        DirtyBitmap b = new DirtyBitmap(130);
        assertEquals(3, b.wordCount());
        b.markRange(4095, 2); // pages 0 and 1
        b.markRange(129 * 4096, 4096); // the last page
        assertTrue(b.isDirty(0) && b.isDirty(1) && b.isDirty(129));
        assertFalse(b.isDirty(2));
        assertEquals(3, b.count());
        b.markAll();
        assertEquals(130, b.count(), "markAll leaves the bits past the last page clear");
        b.clear();
        assertEquals(0, b.count());
    }

    /** Ranges over whole words, word edges and single pages mark exactly their pages (compared page by page). */
    @Test
    void wordReadsWithoutClearing() {
        DirtyBitmap b = new DirtyBitmap(130);
        b.mark(1);
        b.mark(64);
        b.mark(129);
        assertEquals(2L, b.word(0));
        assertEquals(1L, b.word(1));
        assertEquals(2L, b.word(2));
        assertEquals(3, b.count(), "reading a word leaves it");
        assertEquals(2L, b.takeWord(0));
        assertEquals(0L, b.word(0));
    }

    @Test
    void markRangeMatchesPageByPageMarking() {
        long[][] ranges = {{0, 1}, {63 * 4096L, 4096}, {62 * 4096L + 5, 3 * 4096L}, {64 * 4096L, 64 * 4096L},
            {100 * 4096L - 1, 200 * 4096L + 2}, {1000 * 4096L, 0}};
        for (long[] r : ranges) {
            DirtyBitmap fast = new DirtyBitmap(1024);
            DirtyBitmap slow = new DirtyBitmap(1024);
            fast.markRange(r[0], r[1]);
            for (long b = r[0]; b < r[0] + r[1]; b++) {
                slow.mark(b / 4096);
            }
            for (long p = 0; p < 1024; p++) {
                assertEquals(slow.isDirty(p), fast.isDirty(p), "page " + p + " of range " + r[0] + "+" + r[1]);
            }
        }
    }

    @Test
    void drainMovesAndClears() {
        DirtyBitmap a = new DirtyBitmap(200);
        DirtyBitmap target = new DirtyBitmap(200);
        a.mark(3);
        a.mark(150);
        target.mark(3);
        assertEquals(2, a.drainInto(target));
        assertEquals(0, a.count());
        assertEquals(2, target.count());
        assertThrows(IllegalArgumentException.class, () -> a.drainInto(new DirtyBitmap(10)));
    }

    /** Pages marked while another thread drains are drained now or next time, never lost. */
    @Test
    void noMarkIsLostUnderConcurrentDrains() throws InterruptedException {
        int pages = 1 << 16;
        DirtyBitmap live = new DirtyBitmap(pages);
        DirtyBitmap collected = new DirtyBitmap(pages);
        AtomicBoolean done = new AtomicBoolean();
        CountDownLatch writersDone = new CountDownLatch(2);
        for (int t = 0; t < 2; t++) {
            int first = t;
            new Thread(() -> {
                for (int p = first; p < pages; p += 2) {
                    live.mark(p);
                }
                writersDone.countDown();
            }).start();
        }
        Thread drainer = new Thread(() -> {
            while (!done.get()) {
                live.drainInto(collected);
            }
        });
        drainer.start();
        writersDone.await();
        done.set(true);
        drainer.join();
        live.drainInto(collected);
        assertEquals(pages, collected.count());
    }
}
