package org.jkvm.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.jkvm.memory.DirtyBitmap;
import org.jkvm.migration.stream.RamLayout;
import org.jkvm.migration.stream.RamLayout.Extent;
import org.jkvm.migration.stream.RamPreallocator;
import org.jkvm.migration.stream.RamSender;
import org.jkvm.migration.stream.RamWindows;
import org.jkvm.migration.stream.RawRecords;
import org.jkvm.migration.stream.StreamException;
import org.jkvm.migration.stream.StreamFormat;
import org.jkvm.migration.stream.StreamIn;
import org.jkvm.migration.stream.StreamLoader;
import org.jkvm.migration.stream.StreamOut;
import org.junit.jupiter.api.Test;

/**
 * The RAM_LAYOUT record (stream version 3) and the destination's preallocation: which extents the source
 * announces, how the loader checks them, and that preallocation stays ahead of the stream, stops on time and never
 * changes what the destination ends up with, even when the hint is wrong.
 */
class RamLayoutTest {
    static final int PAGE = StreamFormat.PAGE_SIZE;

    /** Two regions (gpa 0, 64 pages; gpa 1 MiB, 32 pages) with data on the given pages of each. */
    static FakeMemory memory(long[] low, long[] high) {
        FakeMemory mem = new FakeMemory(new long[] {0, 1 << 20}, new long[] {64 * PAGE, 32 * PAGE}, false);
        for (long p : low) {
            mem.write(p * PAGE + 8, ByteBuffer.wrap(new byte[] {1}));
        }
        for (long p : high) {
            mem.write((1 << 20) + p * PAGE + 100, ByteBuffer.wrap(new byte[] {2}));
        }
        return mem;
    }

    static List<DirtyBitmap> all(FakeMemory mem) {
        return RamSender.allMarked(mem);
    }

    @Test
    void extentsCoverTheNonZeroPagesAndBridgeOnlyShortGaps() {
        FakeMemory mem = memory(new long[] {2, 3, 10, 26, 60, 63}, new long[] {0, 16, 31});
        List<Extent> layout = RamLayout.of(new RamWindows(mem), all(mem));
        assertEquals(List.of(new Extent(2 * PAGE, 25), new Extent(60 * PAGE, 4), new Extent(1 << 20, 32)), layout,
                "gaps of 6, 15, 2, 15 and 14 pages bridged; 33 not, nor the end of a region");
    }

    @Test
    void populatedZeroPagesAndUnpopulatedPagesAreLeftOut() {
        FakeMemory mem = memory(new long[] {5, 30}, new long[] {});
        List<DirtyBitmap> populated = all(mem);
        populated.get(0).clear();
        populated.get(0).mark(5);
        populated.get(0).mark(6); // populated but zero
        assertEquals(List.of(new Extent(5 * PAGE, 1)), RamLayout.of(new RamWindows(mem), populated),
                "page 30 holds data but is not in the round-0 hint: it is sent and read later, not announced");
    }

    @Test
    void aLongListIsMergedToFitTheCapButNeverAcrossRegions() {
        List<Extent> low = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            low.add(new Extent((long) i * 100 * PAGE, 1));
        }
        List<Extent> fitted = RamLayout.fit(List.of(low, List.of(new Extent(1L << 32, 5))), 3);
        assertTrue(fitted.size() <= 3, fitted.toString());
        assertEquals(new Extent(0, 901), fitted.get(0));
        assertEquals(new Extent(1L << 32, 5), fitted.get(fitted.size() - 1));
    }

    /** A stream with a hand-made RAM_LAYOUT record (raw fields) first, then every page of {@code mem}. */
    static byte[] stream(int version, FakeMemory mem, int count, long[] gpaPages) throws IOException {
        return ZeroRunTest.stream(version, out -> {
            try {
                ByteBuffer fields = RawRecords.begin(out, StreamFormat.REC_RAM_LAYOUT, 4 + 12 * gpaPages.length / 2);
                fields.putInt(count);
                for (int i = 0; i < gpaPages.length; i += 2) {
                    fields.putLong(gpaPages[i]).putInt((int) gpaPages[i + 1]);
                }
                RawRecords.end(out);
                sendAll(out, mem);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
    }

    static void sendAll(StreamOut out, FakeMemory mem) throws IOException {
        long pages = new RamSender(new RamWindows(mem), all(mem), out).sendMarked(() -> false);
        out.roundEnd(0, pages);
    }

    /** Loads {@code stream} into {@code into}; every layout goes to {@code seen}. */
    static void load(byte[] stream, FakeMemory into, List<List<Extent>> seen) throws IOException {
        StreamLoader l = new StreamLoader(new StreamIn(Channels.newChannel(new ByteArrayInputStream(stream)), 0),
                new RamWindows(into), r -> { }, seen::add);
        l.header();
        l.config();
        l.body();
    }

    @Test
    void theLoaderHandsOnACheckedLayoutOnce() throws IOException {
        FakeMemory src = memory(new long[] {1, 2}, new long[] {3});
        byte[] s = stream(3, src, 2, new long[] {PAGE, 2, (1 << 20) + 3 * PAGE, 1});
        List<List<Extent>> seen = new ArrayList<>();
        FakeMemory dst = memory(new long[] {}, new long[] {});
        load(s, dst, seen);
        assertEquals(List.of(List.of(new Extent(PAGE, 2), new Extent((1 << 20) + 3 * PAGE, 1))), seen);
        assertEquals(-1, RamCompare.firstDifference(src, dst));
    }

    @Test
    void hostileLayoutsAreRefusedNamingTheProblem() throws IOException {
        FakeMemory mem = memory(new long[] {1}, new long[] {});
        refused(stream(2, mem, 1, new long[] {PAGE, 1}), "does not exist in a version 2 stream");
        refused(stream(3, mem, 65537, new long[] {}), "claims 65537 extents");
        refused(stream(3, mem, -1, new long[] {}), "claims 4294967295 extents");
        refused(stream(3, mem, 1, new long[] {PAGE + 1, 1}), "extent 0 of the RAM_LAYOUT record (gpa 0x1001, 1 pages)");
        refused(stream(3, mem, 1, new long[] {PAGE, 0}), "extent 0");
        refused(stream(3, mem, 2, new long[] {8 * PAGE, 2, 9 * PAGE, 1}),
                "extent 1 of the RAM_LAYOUT record (gpa 0x9000");
        refused(stream(3, mem, 1, new long[] {60 * PAGE, 5}), "not guest RAM here");
        refused(stream(3, mem, 1, new long[] {-PAGE, 1}), "extent 0");
        byte[] flipped = stream(3, mem, 1, new long[] {PAGE, 1});
        flipped[12 + 9 + 8] ^= 0x10; // inside the extent's gpa
        refused(flipped, "checksum error in the RAM_LAYOUT record");
        byte[] late = ZeroRunTest.stream(3, out -> {
            try {
                sendAll(out, mem);
                out.ramLayout(List.of());
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        refused(late, "comes after RAM records or a second time");
    }

    static void refused(byte[] stream, String part) {
        StreamException e = assertThrows(StreamException.class,
                () -> load(stream, memory(new long[] {}, new long[] {}), new ArrayList<>()));
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    @Test
    void preallocationRunsAheadInChunksAndSkipsWhatTheStreamPassed() throws Exception {
        FakeMemory mem = new FakeMemory(new long[] {0}, new long[] {160L << 20}, false);
        FakeMemory.Region r = (FakeMemory.Region) mem.regions().get(0);
        List<Extent> extents = List.of(new Extent(0, 256), new Extent(16L << 20, (100L << 20) / PAGE));
        RamPreallocator p = RamPreallocator.start(new RamWindows(mem), extents, () -> 12L << 20);
        assertTrue(p.await(10_000));
        assertEquals(List.of("16777216+33554432", "50331648+33554432", "83886080+33554432", "117440512+4194304"),
                r.preallocated.stream().map(c -> c[0] + "+" + c[1]).toList(),
                "the first extent lies below the cursor; the second goes in 32 MiB chunks");
        assertEquals(100L << 20, p.bytesAllocated());
        assertEquals(1L << 20, p.bytesSkipped());
    }

    @Test
    void preallocationStopsAtRoundEndOnStopAndWhenRefused() throws Exception {
        FakeMemory mem = new FakeMemory(new long[] {0}, new long[] {64L << 20}, false);
        FakeMemory.Region r = (FakeMemory.Region) mem.regions().get(0);
        List<Extent> extents = List.of(new Extent(0, (64L << 20) / PAGE));
        RamPreallocator done = RamPreallocator.start(new RamWindows(mem), extents, () -> Long.MAX_VALUE);
        assertTrue(done.await(10_000));
        assertEquals(0, done.bytesAllocated(), "round 0 is over: nothing to do");
        r.refusePreallocation = true;
        RamPreallocator refused = RamPreallocator.start(new RamWindows(mem), extents, () -> 0);
        assertTrue(refused.await(10_000));
        assertEquals(1, r.preallocated.size(), "one refusal ends it");
        r.refusePreallocation = false;
        AtomicReference<RamPreallocator> ref = new AtomicReference<>();
        AtomicInteger asked = new AtomicInteger();
        ref.set(RamPreallocator.start(new RamWindows(mem), extents, () -> {
            if (asked.incrementAndGet() == 2) {
                while (ref.get() == null) {
                    Thread.onSpinWait();
                }
                ref.get().stop(); // stop() while the first chunk was being allocated
            }
            return 0;
        }));
        assertTrue(ref.get().await(10_000));
        assertEquals(32L << 20, ref.get().bytesAllocated(), "the chunk under way, no more");
    }

    /**
     * A wrong hint changes nothing: extents over pages the stream sends as zero, none over pages with data, and
     * preallocation racing with the load (real memfd RAM): the destination ends up equal to the source.
     */
    @Test
    void aWrongHintStillLoadsExactly() throws Exception {
        try (MemfdVm src = new MemfdVm(64L << 20); MemfdVm dst = new MemfdVm(64L << 20)) {
            for (long p = 1000; p < 9000; p += 3) {
                src.memory().writeLongLE(p * PAGE + 16, p);
            }
            List<RamPreallocator> started = new ArrayList<>();
            byte[] s = ZeroRunTest.stream(3, out -> {
                try {
                    out.ramLayout(List.of(new Extent(0, 500), new Extent(6000L * PAGE, 10000)));
                    long pages = new RamSender(new RamWindows(src.memory()), RamSender.allMarked(src.memory()), out)
                            .sendMarked(() -> false);
                    out.roundEnd(0, pages);
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
            RamWindows windows = new RamWindows(dst.memory());
            StreamLoader[] loader = new StreamLoader[1];
            loader[0] = new StreamLoader(new StreamIn(Channels.newChannel(new ByteArrayInputStream(s)), 0), windows,
                    r -> { }, e -> started.add(RamPreallocator.start(windows, e, () -> loader[0].cursor())));
            loader[0].header();
            loader[0].config();
            loader[0].body();
            assertEquals(1, started.size());
            assertTrue(started.get(0).await(10_000));
            assertEquals(-1, RamCompare.firstDifference(src.memory(), dst.memory()), "RAM differs");
        }
    }
}
