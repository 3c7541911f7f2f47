package org.jkvm.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.List;
import java.util.Random;

import org.jkvm.migration.stream.RamLayout;
import org.jkvm.migration.stream.RamSender;
import org.jkvm.migration.stream.RamWindows;
import org.jkvm.migration.stream.StreamFormat;
import org.jkvm.migration.stream.StreamIn;
import org.jkvm.migration.stream.StreamLoader;
import org.junit.jupiter.api.Test;

/**
 * The receive path that reads page data from a socket or pipe straight into guest memory (a scattering read, no
 * intermediate copy): streams arriving in odd-sized pieces load exactly, and a flipped bit in page data that went
 * that way, in the flags before it or in the header after it, is still a checksum error naming the record.
 */
class DirectReadTest {
    static final int PAGE = StreamFormat.PAGE_SIZE;
    static final int PAGES = 2048; // 8 MiB: records of 1 MiB, far more than the reader's 64 KiB buffer

    /** 8 MiB of random pages, with a few zero pages and a short zero stretch so records mix the flags. */
    static FakeMemory source() {
        FakeMemory mem = FakeMemory.of((long) PAGES * PAGE);
        Random rnd = new Random(42);
        byte[] page = new byte[PAGE];
        for (int p = 0; p < PAGES; p++) {
            if (p % 97 == 5 || p >= 700 && p < 710) {
                continue;
            }
            rnd.nextBytes(page);
            mem.write((long) p * PAGE, ByteBuffer.wrap(page));
        }
        return mem;
    }

    static byte[] stream(FakeMemory src) throws IOException {
        return ZeroRunTest.stream(StreamFormat.VERSION, out -> {
            try {
                out.ramLayout(RamLayout.of(new RamWindows(src), RamSender.allMarked(src)));
                RamLayoutTest.sendAll(out, src);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
    }

    /** Loads {@code bytes} from a pipe that a writer thread feeds in pieces of 1 to {@code maxPiece} bytes. */
    static void loadThroughPipe(byte[] bytes, FakeMemory into, int maxPiece, long seed) throws Exception {
        Pipe pipe = Pipe.open();
        Thread writer = new Thread(() -> {
            Random rnd = new Random(seed);
            try (Pipe.SinkChannel sink = pipe.sink()) {
                int at = 0;
                while (at < bytes.length) {
                    int n = Math.min(bytes.length - at, 1 + rnd.nextInt(maxPiece));
                    ByteBuffer b = ByteBuffer.wrap(bytes, at, n);
                    while (b.hasRemaining()) {
                        sink.write(b);
                    }
                    at += n;
                }
            } catch (IOException e) {
                // The reader stopped early (a detected error): nothing more to write.
            }
        });
        writer.start();
        try (Pipe.SourceChannel source = pipe.source()) {
            StreamLoader l = new StreamLoader(new StreamIn(source, 0), new RamWindows(into));
            l.header();
            l.config();
            l.body();
        } finally {
            writer.join(10_000);
        }
    }

    @Test
    void streamsInAnyPiecesLoadExactly() throws Exception {
        FakeMemory src = source();
        byte[] bytes = stream(src);
        for (int maxPiece : new int[] {1 << 20, 70_000, 4097, 333}) {
            FakeMemory dst = FakeMemory.of((long) PAGES * PAGE);
            loadThroughPipe(bytes, dst, maxPiece, maxPiece);
            assertEquals(-1, RamCompare.firstDifference(src, dst), "pieces up to " + maxPiece + " bytes");
        }
    }

    @Test
    void flippedBitsAnywhereInADirectlyReadRecordAreChecksumErrors() throws Exception {
        FakeMemory src = source();
        byte[] good = stream(src);
        int firstRam = 12 + 9 + 1 + 4 + 12 + 4; // header, empty CONFIG, RAM_LAYOUT with one extent
        assertEquals(StreamFormat.REC_RAM, good[firstRam]);
        int dataStart = firstRam + 1 + 8 + 2 + 256; // type, gpa, count, 256 flags
        for (int at : List.of(firstRam + 11 + 100, dataStart + 10, dataStart + 70_000, dataStart + 256 * PAGE - 1,
                dataStart + 256 * PAGE + 2, good.length / 2, good.length - 40)) {
            byte[] bad = good.clone();
            bad[at] ^= 0x04;
            Exception e = assertThrows(Exception.class,
                    () -> loadThroughPipe(bad, FakeMemory.of((long) PAGES * PAGE), 1 << 20, at));
            assertTrue(e.getMessage().contains("checksum error") || e.getMessage().contains("page flag"),
                    "byte " + at + ": " + e.getMessage());
        }
    }

    @Test
    void aStreamCutInsidePageDataIsAnEndOfStreamError() throws Exception {
        byte[] good = stream(source());
        byte[] cut = java.util.Arrays.copyOf(good, good.length / 3);
        IOException e = assertThrows(IOException.class,
                () -> loadThroughPipe(cut, FakeMemory.of((long) PAGES * PAGE), 1 << 20, 7));
        assertTrue(e.getMessage().contains("stream ended after"), e.getMessage());
    }
}
