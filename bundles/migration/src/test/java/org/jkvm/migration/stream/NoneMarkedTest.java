package org.jkvm.migration.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

import org.jkvm.memory.DirtyBitmap;
import org.junit.jupiter.api.Test;

/** {@link RamSender#noneMarked}, the word-at-a-time shortcut of round 0, agrees with asking page by page. */
class NoneMarkedTest {
    @Test
    void agreesWithPageByPageOnRandomBitmapsAndRanges() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 2000; trial++) {
            DirtyBitmap b = new DirtyBitmap(1000);
            int marks = rnd.nextInt(4);
            for (int i = 0; i < marks; i++) {
                b.mark(rnd.nextInt(1000));
            }
            long first = rnd.nextInt(700);
            int count = 1 + rnd.nextInt(256);
            boolean expected = true;
            for (long p = first; p < first + count; p++) {
                expected &= !b.isDirty(p);
            }
            assertEquals(expected, RamSender.noneMarked(b, first, count), "trial " + trial + ": " + first + "+"
                    + count);
        }
    }

    @Test
    void edgesOfWords() {
        DirtyBitmap b = new DirtyBitmap(256);
        b.mark(63);
        b.mark(128);
        assertEquals(true, RamSender.noneMarked(b, 0, 63));
        assertEquals(false, RamSender.noneMarked(b, 0, 64));
        assertEquals(true, RamSender.noneMarked(b, 64, 64));
        assertEquals(false, RamSender.noneMarked(b, 100, 29));
        assertEquals(true, RamSender.noneMarked(b, 129, 127));
    }
}
