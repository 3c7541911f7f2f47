package org.jkvm.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.List;

import org.jkvm.memory.DirtyBitmap;
import org.jkvm.migration.stream.RamSender;
import org.jkvm.migration.stream.RamWindows;
import org.jkvm.migration.stream.StreamFormat;
import org.jkvm.migration.stream.StreamIn;
import org.jkvm.migration.stream.StreamLoader;
import org.jkvm.migration.stream.StreamOut;
import org.junit.jupiter.api.Test;

/**
 * Pages across the 1 GiB view-window boundary and in a second region above 4 GiB (the engine's layout for RAM
 * beyond 3 GiB) are sent and loaded at the right gpa. RAM is sparse shared memory: only the marked pages are
 * ever touched.
 */
class RamWindowsTest {
    static final long GIB = 1L << 30;
    static final int PAGE = StreamFormat.PAGE_SIZE;

    static FakeMemory twoRegions() {
        return new FakeMemory(new long[] {0, 4 * GIB}, new long[] {GIB + (8 << 20), 8 << 20}, true);
    }

    @Test
    void pagesAcrossTheWindowBoundaryAndInTheHighRegionArrive() throws Exception {
        FakeMemory src = twoRegions();
        long[] gpas = {GIB - PAGE, GIB, GIB + PAGE, 4 * GIB, 4 * GIB + (8 << 20) - PAGE};
        DirtyBitmap low = new DirtyBitmap(src.regions().get(0).pages());
        DirtyBitmap high = new DirtyBitmap(src.regions().get(1).pages());
        for (long gpa : gpas) {
            ByteBuffer b = ByteBuffer.allocate(PAGE);
            b.putLong(0, gpa ^ 0x5A5A5A5AL).putLong(PAGE - 8, ~gpa);
            src.write(gpa, b);
            (gpa < 4 * GIB ? low : high).mark((gpa < 4 * GIB ? gpa : gpa - 4 * GIB) / PAGE);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StreamOut out = new StreamOut(Channels.newChannel(bytes), 0,
                StreamOut.UNLIMITED);
        long sent = new RamSender(new RamWindows(src), List.of(low, high), out).sendMarked(() -> false);
        out.roundEnd(0, sent);
        out.eof(false);
        out.flush();
        assertEquals(gpas.length, sent);
        assertTrue(bytes.size() < 6 * PAGE, "only the marked pages were sent: " + bytes.size());

        FakeMemory dst = twoRegions();
        StreamLoader loader = new StreamLoader(new StreamIn(Channels.newChannel(
                new ByteArrayInputStream(bytes.toByteArray())), 0), new RamWindows(dst));
        loader.body();
        for (long gpa : gpas) {
            ByteBuffer got = ByteBuffer.allocate(PAGE);
            dst.read(gpa, got);
            assertEquals(gpa ^ 0x5A5A5A5AL, got.getLong(0), "first word of the page at 0x" + Long.toHexString(gpa));
            assertEquals(~gpa, got.getLong(PAGE - 8), "last word of the page at 0x" + Long.toHexString(gpa));
        }
        ByteBuffer untouched = ByteBuffer.allocate(PAGE);
        dst.read(GIB + 2 * PAGE, untouched);
        assertEquals(-1, untouched.flip().mismatch(ByteBuffer.allocate(PAGE)), "neighbours stay zero");
    }

    @Test
    void regionLookupRefusesRangesThatLeaveARegion() {
        RamWindows w = new RamWindows(twoRegions());
        assertEquals(0, w.regionOf(0, 1));
        assertEquals(0, w.regionOf(GIB + (8 << 20) - PAGE, 1));
        assertEquals(-1, w.regionOf(GIB + (8 << 20) - PAGE, 2), "crosses the end of the low region");
        assertEquals(-1, w.regionOf(3 * GIB, 1), "the hole below 4 GiB");
        assertEquals(1, w.regionOf(4 * GIB, 256));
        assertEquals(-1, w.regionOf(-PAGE, 1));
        assertEquals(-1, w.regionOf(Long.MAX_VALUE - PAGE + 1, 256));
    }
}
