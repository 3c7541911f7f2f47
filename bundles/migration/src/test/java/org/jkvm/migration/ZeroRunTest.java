package org.jkvm.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.jkvm.memory.DirtyBitmap;
import org.jkvm.migration.stream.RamSender;
import org.jkvm.migration.stream.RamWindows;
import org.jkvm.migration.stream.StreamException;
import org.jkvm.migration.stream.StreamFormat;
import org.jkvm.migration.stream.StreamIn;
import org.jkvm.migration.stream.StreamLoader;
import org.jkvm.migration.stream.StreamOut;
import org.junit.jupiter.api.Test;

/** The ZERO_RUN record (stream version 2): round trips, size, corruption, truncation and hostile counts. */
class ZeroRunTest {
    static final int PAGE = StreamFormat.PAGE_SIZE;

    /** A stream of the whole of {@code mem} (one round) with a header of {@code version}, or hand-made records. */
    static byte[] stream(int version, Consumer<StreamOut> records) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StreamOut out = new StreamOut(Channels.newChannel(bytes), 0,
                StreamOut.UNLIMITED);
        out.header();
        out.config(Map.of());
        records.accept(out);
        out.eof(false);
        out.flush();
        byte[] b = bytes.toByteArray();
        ByteBuffer.wrap(b).putInt(4, version);
        return b;
    }

    static byte[] sendAll(FakeMemory mem) throws IOException {
        return stream(StreamFormat.VERSION, out -> {
            try {
                DirtyBitmap all = new DirtyBitmap(mem.regions().get(0).pages());
                all.markAll();
                long pages = new RamSender(new RamWindows(mem), List.of(all), out).sendMarked(() -> false);
                roundEnd(out, pages);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
    }

    static void roundEnd(StreamOut out, long pages) throws IOException {
        out.roundEnd(0, pages);
    }

    /** One hand-made ZERO_RUN record followed by a ROUND_END counting {@code roundPages}. */
    static byte[] zeroRun(int version, long gpa, int pages, long roundPages) throws IOException {
        return stream(version, out -> {
            try {
                out.zeroRun(gpa, pages);
                roundEnd(out, roundPages);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
    }

    static StreamLoader.Result load(byte[] stream, FakeMemory into) throws IOException {
        StreamLoader l = new StreamLoader(new StreamIn(Channels.newChannel(new ByteArrayInputStream(stream)), 0),
                new RamWindows(into));
        l.header();
        l.config();
        return l.body();
    }

    /** Non-zero pages: isolated, a cluster, short gaps (< 32), around the 256-page chunk edges, the last page. */
    static final long[] DATA_PAGES = {0, 3, 40, 41, 42, 60, 255, 256, 300, 310, 330, 1000, 1023};

    static FakeMemory mixedGuest() {
        FakeMemory mem = FakeMemory.of(1024L * PAGE);
        for (long p : DATA_PAGES) {
            mem.write(p * PAGE + (p % 4000), ByteBuffer.wrap(new byte[] {(byte) (p + 1), 1}));
        }
        return mem;
    }

    @Test
    void mixedZeroAndDataPagesRoundTripAndStaleDestinationPagesAreCleared() throws IOException {
        FakeMemory src = mixedGuest();
        byte[] s = sendAll(src);
        FakeMemory dst = FakeMemory.of(1024L * PAGE);
        for (long p : new long[] {1, 100, 500, 999}) { // VMM-written pages in zero runs and in a short gap
            dst.write(p * PAGE + 7, ByteBuffer.wrap(new byte[] {42}));
        }
        assertEquals(1, load(s, dst).rounds());
        assertEquals(-1, RamCompare.firstDifference(src, dst), "a page differs after the round trip");
        long dataBytes = DATA_PAGES.length * (long) PAGE;
        assertTrue(s.length < dataBytes + 1024, "stream of " + s.length + " bytes for " + dataBytes
                + " bytes of data: zero pages cost too much");
    }

    /** Round 0 brings data; round 1's zero runs cover those pages (the guest zeroed them): they end up zero. */
    @Test
    void aPageReceivedWithDataAndLaterInAZeroRunIsCleared() throws IOException {
        FakeMemory src = mixedGuest();
        byte[] s = stream(StreamFormat.VERSION, out -> {
            try {
                DirtyBitmap all = new DirtyBitmap(src.regions().get(0).pages());
                all.markAll();
                RamSender sender = new RamSender(new RamWindows(src), List.of(all), out);
                roundEnd(out, sender.sendMarked(() -> false));
                for (long p : DATA_PAGES) {
                    src.write(p * PAGE + (p % 4000), ByteBuffer.wrap(new byte[2])); // the guest zeroes its data
                }
                all.markAll();
                long pages = sender.sendMarked(() -> false);
                out.roundEnd(1, pages);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        FakeMemory dst = FakeMemory.of(1024L * PAGE);
        assertEquals(2, load(s, dst).rounds());
        assertEquals(-1, RamCompare.firstDifference(src, dst), "a page received in round 0 kept its old data");
        for (long p : DATA_PAGES) {
            assertEquals(0, dst.readByte(p * PAGE + (p % 4000)), "page " + p);
        }
    }

    @Test
    void anIdleGuestCostsWithinFivePercentOfItsData() throws IOException {
        FakeMemory src = FakeMemory.of(64L << 20); // 16384 pages
        long[] data = {5, 700, 701, 9000, 16383};
        for (long p : data) {
            src.write(p * PAGE, ByteBuffer.wrap(new byte[] {1}));
        }
        byte[] s = sendAll(src);
        long dataBytes = data.length * (long) PAGE;
        assertTrue(s.length <= dataBytes * 1.05, s.length + " bytes sent for " + dataBytes + " bytes of data");
        FakeMemory dst = FakeMemory.of(64L << 20);
        load(s, dst);
        assertEquals(-1, RamCompare.firstDifference(src, dst));
    }

    @Test
    void anAllZeroGuestIsOneRecord() throws IOException {
        byte[] s = sendAll(FakeMemory.of(32L << 20));
        // header 12, CONFIG 9, ZERO_RUN 17, ROUND_END 17, EOF 14
        assertEquals(12 + 9 + 17 + 17 + 14, s.length);
        assertEquals(StreamFormat.REC_ZERO_RUN, s[12 + 9]);
    }

    @Test
    void everyBitFlipInAZeroRunIsCaught() throws IOException {
        byte[] good = zeroRun(2, 4L * PAGE, 8, 8);
        int at = 12 + 9;
        assertEquals(StreamFormat.REC_ZERO_RUN, good[at]);
        load(good, FakeMemory.of(16L * PAGE));
        for (int i = at; i < at + 17; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] bad = good.clone();
                bad[i] ^= (byte) (1 << bit);
                try {
                    load(bad, FakeMemory.of(16L * PAGE));
                    fail("flipping bit " + bit + " of ZERO_RUN byte " + (i - at) + " went unnoticed");
                } catch (StreamException | IOException e) {
                    assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
                }
            }
        }
    }

    @Test
    void aCorruptZeroRunTouchesNoPageBeforeItsChecksumIsChecked() throws IOException {
        byte[] bad = zeroRun(2, 0, 16, 16);
        bad[12 + 9 + 13] ^= 1; // the CRC
        FakeMemory dst = FakeMemory.of(16L * PAGE);
        dst.write(3L * PAGE, ByteBuffer.wrap(new byte[] {9}));
        StreamException e = assertThrows(StreamException.class, () -> load(bad, dst));
        assertTrue(e.getMessage().contains("checksum error in the ZERO_RUN record at gpa 0x0 (round 0)"),
                e.getMessage());
        ByteBuffer b = ByteBuffer.allocate(1);
        dst.read(3L * PAGE, b);
        assertEquals(9, b.get(0), "the destination page was zeroed by an unchecked record");
    }

    @Test
    void truncationInsideAZeroRunIsAnEndOfStreamError() throws IOException {
        byte[] good = zeroRun(2, 0, 16, 16);
        for (int len = 12 + 9 + 1; len < 12 + 9 + 17; len++) {
            byte[] cut = Arrays.copyOf(good, len);
            IOException e = assertThrows(IOException.class, () -> load(cut, FakeMemory.of(16L * PAGE)));
            assertTrue(e.getMessage().contains("stream ended"), e.getMessage());
        }
    }

    @Test
    void hostileCountsAreRefusedNamingTheGpa() throws IOException {
        assertRefused(zeroRun(2, 0x8000, -1, 0), "ZERO_RUN record at gpa 0x8000 (round 0) with 4294967295 pages");
        assertRefused(zeroRun(2, 0x8000, 9, 9), "ZERO_RUN record at gpa 0x8000 (round 0) with 9 pages");
        assertRefused(zeroRun(2, 0x8000, 0, 0), "ZERO_RUN record at gpa 0x8000 (round 0) has 0 pages");
        assertRefused(zeroRun(2, 0x8001, 1, 1), "ZERO_RUN record at gpa 0x8001");
        assertRefused(zeroRun(2, 0x7FFF_FFFF_FFFF_F000L, 0x10_0000, 0), "gpa 0x7ffffffffffff000");
        load(zeroRun(2, 0x8000, 8, 8), FakeMemory.of(16L * PAGE)); // exactly to the region end is fine
    }

    @Test
    void aZeroRunInAVersion1StreamIsRefused() throws IOException {
        assertRefused(zeroRun(1, 0, 1, 1), "does not exist in a version 1 stream");
    }

    @Test
    void zeroRunPagesCountInTheirRound() throws IOException {
        assertRefused(zeroRun(2, 0, 4, 5), "round 0 ended with 4 pages but the source says round 0 had 5");
    }

    static void assertRefused(byte[] stream, String part) {
        StreamException e = assertThrows(StreamException.class, () -> load(stream, FakeMemory.of(16L * PAGE)));
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
