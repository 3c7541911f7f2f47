package org.jkvm.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.jkvm.memory.DirtyBitmap;
import org.jkvm.memory.GuestMemory;
import org.jkvm.memory.MmapGuestMemory;
import org.jkvm.migration.stream.RamSender;
import org.jkvm.migration.stream.RamWindows;
import org.jkvm.migration.stream.StreamFormat;
import org.jkvm.migration.stream.StreamIn;
import org.jkvm.migration.stream.StreamLoader;
import org.jkvm.migration.stream.StreamOut;
import org.junit.jupiter.api.Test;

/**
 * Round 0 over real guest RAM ({@link MmapGuestMemory}) with the populated-pages hint: never-touched pages go out
 * as ZERO without being read (so the source does not allocate them), written pages go out with their data, and a
 * page written after the snapshot (a racing guest) is resent with its data in the next pass.
 */
class FirstPassPopulatedTest {
    static final int PAGE = StreamFormat.PAGE_SIZE;
    static final long MIB = 1L << 20;

    @Test
    void untouchedPagesAreSentAsZeroWithoutBeingRead() throws IOException {
        try (MmapGuestMemory src = MmapGuestMemory.allocate(64 * MIB);
             MmapGuestMemory dst = MmapGuestMemory.allocate(64 * MIB)) {
            for (long p : new long[] {1, 100, 5000}) {
                src.writeLongLE(p * PAGE + 8, 0x1111L * p);
            }
            src.write(7L * PAGE, ByteBuffer.allocate(PAGE)); // populated, but zero
            src.regions().get(0).vmmDirty().clear(); // "dirty logging starts" here
            List<DirtyBitmap> bitmaps = RamSender.allMarked(src);

            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            StreamOut out = stream(bytes);
            RamSender sender = new RamSender(new RamWindows(src), bitmaps, out);
            sender.firstPassPopulated(RamSender.populated(src));
            src.writeLongLE(200L * PAGE, 42L); // the guest writes a fresh page after the snapshot: dirty, not populated
            long pages = sender.sendMarked(() -> false);

            assertEquals(16384, pages);
            assertEquals(3, sender.normalPages(), "only the populated non-zero pages carry data");
            assertEquals(16384 - 3, sender.zeroPages());
            assertEquals(List.of(1L, 7L, 100L, 200L, 5000L), pagesOf(src.regions().get(0).populated()),
                    "round 0 allocated nothing on the source");

            roundEnd(out, 0, pages);
            src.regions().get(0).vmmDirty().drainInto(bitmaps.get(0)); // the dirty-log sync of round 1
            assertEquals(1, sender.sendMarked(() -> false));
            assertEquals(4, sender.normalPages(), "the racing page is read and sent in round 1");
            roundEnd(out, 1, 1);
            finish(out);

            load(bytes.toByteArray(), dst);
            assertEquals(List.of(1L, 100L, 200L, 5000L), pagesOf(dst.regions().get(0).populated()),
                    "the destination allocates only the pages with data");
            assertEquals(-1, RamCompare.firstDifference(src, dst), "RAM differs"); // (reads, so allocates, all)
        }
    }

    @Test
    void theHintCoversOnlyTheNextPassAndMustMatchTheRegions() throws IOException {
        try (MmapGuestMemory src = MmapGuestMemory.allocate(4 * MIB)) {
            List<DirtyBitmap> bitmaps = RamSender.allMarked(src);
            RamSender sender = new RamSender(new RamWindows(src), bitmaps, stream(new ByteArrayOutputStream()));
            assertThrows(IllegalArgumentException.class, () -> sender.firstPassPopulated(List.of()));
            sender.firstPassPopulated(RamSender.populated(src));
            sender.sendMarked(() -> false);
            src.writeLongLE(3L * PAGE, 5L);
            bitmaps.get(0).mark(3);
            sender.sendMarked(() -> false);
            assertEquals(1, sender.normalPages(), "a later pass reads the page even though the hint said unpopulated");
        }
    }

    static StreamOut stream(ByteArrayOutputStream bytes) throws IOException {
        StreamOut out = new StreamOut(Channels.newChannel(bytes), 0,
                StreamOut.UNLIMITED);
        out.header();
        out.config(Map.of());
        return out;
    }

    static void roundEnd(StreamOut out, int round, long pages) throws IOException {
        out.roundEnd(round, pages);
    }

    static void finish(StreamOut out) throws IOException {
        out.eof(false);
        out.flush();
    }

    static void load(byte[] stream, GuestMemory into) throws IOException {
        StreamLoader l = new StreamLoader(new StreamIn(Channels.newChannel(new ByteArrayInputStream(stream)), 0),
                new RamWindows(into));
        l.header();
        l.config();
        l.body();
    }

    /** The marked pages, at most 20 of them (then -1 and the total count, to keep failure messages short). */
    static List<Long> pagesOf(DirtyBitmap b) {
        List<Long> pages = new ArrayList<>();
        for (long p = 0; p < b.pages(); p++) {
            if (b.isDirty(p) && pages.size() == 20) {
                return List.of(pages.get(0), pages.get(19), -1L, b.count());
            }
            if (b.isDirty(p)) {
                pages.add(p);
            }
        }
        return pages;
    }
}
