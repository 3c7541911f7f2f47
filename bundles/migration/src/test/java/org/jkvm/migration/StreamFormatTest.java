package org.jkvm.migration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.List;
import java.util.Map;

import org.jkvm.memory.DirtyBitmap;
import org.jkvm.migration.stream.RamLayout;
import org.jkvm.migration.stream.RamSender;
import org.jkvm.migration.stream.RamWindows;
import org.jkvm.migration.stream.StreamException;
import org.jkvm.migration.stream.StreamFormat;
import org.jkvm.migration.stream.StreamIn;
import org.jkvm.migration.stream.StreamLoader;
import org.jkvm.migration.stream.StreamOut;
import org.jkvm.vmstate.StateSection;
import org.junit.jupiter.api.Test;

/** The stream encoder and the hostile-input checks of the loader, byte by byte, without any transport. */
class StreamFormatTest {
    static final int PAGE = StreamFormat.PAGE_SIZE;

    /** A stream of a 64 KiB guest (pages 1 and 5 non-zero), its RAM layout, two device sections, EOF. */
    static byte[] smallStream(FakeMemory mem) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StreamOut out = new StreamOut(Channels.newChannel(bytes), 0,
                StreamOut.UNLIMITED);
        out.header();
        out.config(Map.of("ram.bytes", "65536")); // too small to deflate: a plain CONFIG
        DirtyBitmap all = new DirtyBitmap(16);
        all.markAll();
        out.ramLayout(RamLayout.of(new RamWindows(mem), List.of(all))); // one extent: pages 1-5
        long pages = new RamSender(new RamWindows(mem), List.of(all), out).sendMarked(() -> false);
        out.roundEnd(0, pages);
        for (StateSection section : SECTIONS) {
            out.device(section); // "dev" plain, "cpu" deflated
        }
        out.eof(true);
        out.flush();
        return bytes.toByteArray();
    }

    /** The device sections of {@link #smallStream}: a tiny one and a mostly-zero 1 KiB one. */
    static final List<StateSection> SECTIONS = List.of(new StateSection("dev", 2, 1, new byte[] {1, 2, 3}),
            new StateSection("cpu", 0, 3, cpuPayload()));

    static byte[] cpuPayload() {
        byte[] p = new byte[1024];
        for (int i = 0; i < p.length; i += 16) {
            p[i] = (byte) (i / 16 + 1);
        }
        return p;
    }

    static FakeMemory guest() {
        FakeMemory mem = FakeMemory.of(16 * PAGE);
        mem.write(PAGE, ByteBuffer.wrap(new byte[] {7, 7, 7}));
        mem.write(5L * PAGE + 100, ByteBuffer.wrap(new byte[] {9}));
        return mem;
    }

    static StreamLoader.Result load(byte[] stream, FakeMemory into) throws IOException {
        StreamLoader l = new StreamLoader(new StreamIn(Channels.newChannel(new ByteArrayInputStream(stream)), 0),
                new RamWindows(into));
        l.header();
        Map<String, String> cfg = l.config();
        assertEquals(Map.of("ram.bytes", "65536"), cfg);
        return l.body();
    }

    @Test
    void roundTripSendsZeroPagesAsFlagsOrOneZeroRun() throws IOException {
        FakeMemory src = guest();
        byte[] stream = smallStream(src);
        // header 12 + config 27 + RAM_LAYOUT (1+4+12+4) + RAM pages 0-5 (1+8+2+6 flags + 2 pages + 4)
        // + ZERO_RUN pages 6-15 (1+8+4+4) + round end 17 + device "dev" 25, the deflated "cpu" section, EOF 14
        assertEquals(StreamFormat.REC_RAM_LAYOUT, stream[12 + 27]);
        int ram = 12 + 27 + 21;
        int cpuAt = ram + 21 + 2 * PAGE + 17 + 17 + 25;
        assertEquals(StreamFormat.REC_RAM, stream[ram]);
        assertEquals(StreamFormat.REC_ZERO_RUN, stream[ram + 21 + 2 * PAGE]);
        assertEquals(StreamFormat.REC_DEVICE_DEFLATE, stream[cpuAt]);
        assertTrue(stream.length - 14 - cpuAt < 200, "the 1 KiB cpu section took " + (stream.length - 14 - cpuAt));
        FakeMemory dst = FakeMemory.of(16 * PAGE);
        dst.write(3L * PAGE, ByteBuffer.wrap(new byte[] {5}));
        StreamLoader.Result r = load(stream, dst);
        assertEquals(-1, RamCompare.firstDifference(src, dst), "a stale non-zero page was cleared too");
        assertEquals(SECTIONS, r.sections());
        assertTrue(r.sourceRunning());
        assertEquals(1, r.rounds());
    }

    /**
     * The version-1 golden file (written by the version-1 writer, RAM records only) must keep loading: a version-2
     * reader reads version 1 unchanged.
     */
    @Test
    void goldenVersion1StreamStillLoads() throws IOException {
        byte[] golden = resource("/stream/v1/small.jkms");
        assertEquals(1, ByteBuffer.wrap(golden).getInt(4), "the v1 golden file must stay a version-1 stream");
        FakeMemory dst = FakeMemory.of(16 * PAGE);
        dst.write(9L * PAGE, ByteBuffer.wrap(new byte[] {4}));
        StreamLoader.Result r = load(golden, dst);
        assertEquals(-1, RamCompare.firstDifference(guest(), dst));
        assertEquals(List.of(new StateSection("dev", 2, 1, new byte[] {1, 2, 3})), r.sections());
    }

    /**
     * The version-2 golden file (RAM, ZERO_RUN, DEVICE and DEVICE_DEFLATE records) must keep loading; and version 3
     * changed nothing else: today's stream without its RAM_LAYOUT record, with version 2 in its header, is it byte
     * for byte.
     */
    @Test
    void goldenVersion2StreamStillLoadsAndVersion3OnlyAddsTheLayout() throws IOException {
        byte[] golden = resource("/stream/v2/small.jkms");
        assertEquals(2, ByteBuffer.wrap(golden).getInt(4));
        FakeMemory dst = FakeMemory.of(16 * PAGE);
        StreamLoader.Result r = load(golden, dst);
        assertEquals(-1, RamCompare.firstDifference(guest(), dst));
        assertEquals(SECTIONS, r.sections());
        byte[] now = smallStream(guest());
        int layoutAt = 12 + 27;
        int layoutBytes = 21;
        ByteArrayOutputStream v2 = new ByteArrayOutputStream();
        v2.write(now, 0, layoutAt);
        v2.write(now, layoutAt + layoutBytes, now.length - layoutAt - layoutBytes - 14);
        byte[] expected = v2.toByteArray();
        expected[7] = 2;
        // The EOF record counts records and chains their CRCs: compare up to it.
        assertArrayEquals(java.util.Arrays.copyOf(golden, golden.length - 14), expected,
                "version 3 changed more than adding RAM_LAYOUT");
    }

    /**
     * The version-3 golden file (RAM_LAYOUT, RAM, ZERO_RUN, DEVICE and DEVICE_DEFLATE records) must keep loading, and
     * the writer must keep producing it byte for byte: a change here needs a new stream version and a new golden
     * file beside this one.
     */
    @Test
    void goldenVersion3StreamStillLoadsAndIsStillWritten() throws IOException {
        byte[] golden = resource("/stream/v3/small.jkms");
        assertEquals(3, ByteBuffer.wrap(golden).getInt(4));
        FakeMemory dst = FakeMemory.of(16 * PAGE);
        StreamLoader.Result r = load(golden, dst);
        assertEquals(-1, RamCompare.firstDifference(guest(), dst));
        assertEquals(SECTIONS, r.sections());
        assertArrayEquals(golden, smallStream(guest()), "the writer changed the version-3 format");
    }

    /** A sender on a fast link writes the device sections plain (no deflate inside the downtime); both load. */
    @Test
    void deviceSectionsGoPlainWhenTheSenderTurnsDeflateOff() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StreamOut out = new StreamOut(Channels.newChannel(bytes), 0, StreamOut.UNLIMITED);
        out.header();
        out.config(Map.of("ram.bytes", "65536"));
        out.deflateDevices(false);
        out.device(SECTIONS.get(1)); // the 1 KiB section the default deflates
        out.deflateDevices(true);
        out.device(SECTIONS.get(1));
        out.eof(true);
        out.flush();
        byte[] stream = bytes.toByteArray();
        int first = 12 + 27;
        assertEquals(StreamFormat.REC_DEVICE, stream[first]);
        int second = first + 1 + 2 + 3 + 8 + 4 + 1024 + 4; // type, name, instance and version, length, payload, CRC
        assertEquals(StreamFormat.REC_DEVICE_DEFLATE, stream[second]);
        assertEquals(List.of(SECTIONS.get(1), SECTIONS.get(1)), load(stream, FakeMemory.of(16 * PAGE)).sections());
    }

    static byte[] resource(String name) throws IOException {
        try (var in = StreamFormatTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("test resource " + name + " is missing");
            }
            return in.readAllBytes();
        }
    }

    @Test
    void everySingleBitFlipIsDetected() throws IOException {
        byte[] good = smallStream(guest());
        for (int i = 0; i < good.length; i += (i < 300 || i > good.length - 300) ? 1 : 97) {
            for (int bit : new int[] {0x01, 0x80}) {
                byte[] bad = good.clone();
                bad[i] ^= bit;
                try {
                    load(bad, FakeMemory.of(16 * PAGE));
                    fail("flipping bit " + bit + " of byte " + i + " went unnoticed");
                } catch (StreamException | IOException e) {
                    assertFalse(e.getMessage() == null || e.getMessage().isBlank());
                } catch (AssertionError e) {
                    // The config check in load() caught it: also detected.
                }
            }
        }
    }

    @Test
    void truncationAnywhereIsAnEndOfStreamError() throws IOException {
        byte[] good = smallStream(guest());
        for (int len : new int[] {0, 5, 12, 40, 100, 5000, good.length - 1}) {
            byte[] cut = java.util.Arrays.copyOf(good, len);
            IOException e = assertThrows(IOException.class, () -> load(cut, FakeMemory.of(16 * PAGE)));
            assertTrue(e.getMessage().contains("stream ended"), e.getMessage());
        }
    }

    @Test
    void headerChecksNameTheValues() throws IOException {
        byte[] good = smallStream(guest());
        byte[] v4 = good.clone();
        v4[7] = 4;
        assertMessage(v4, "version 4 but this build reads 1 to 3");
        byte[] magic = good.clone();
        magic[0] = 'X';
        assertMessage(magic, "not a jkvm migration stream");
        byte[] page = good.clone();
        page[10] = 0x20;
        assertMessage(page, "uses 8192-byte pages");
    }

    @Test
    void aStreamForMoreRamIsRefusedBeforeWritingOutsideIt() throws IOException {
        byte[] good = smallStream(guest());
        StreamException e = assertThrows(StreamException.class, () -> load(good, FakeMemory.of(8 * PAGE)));
        assertTrue(e.getMessage().contains("ZERO_RUN record at gpa 0x6000 (round 0) with 10 pages")
                && e.getMessage().contains("memory layout"),
                e.getMessage());
    }

    static void assertMessage(byte[] stream, String part) {
        StreamException e = assertThrows(StreamException.class, () -> load(stream, FakeMemory.of(16 * PAGE)));
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    @Test
    void zeroPageDetection() {
        ByteBuffer b = ByteBuffer.allocateDirect(2 * PAGE);
        assertTrue(RamWindows.isZero(b, 0));
        b.put(2 * PAGE - 1, (byte) 1);
        assertTrue(RamWindows.isZero(b, 0));
        assertFalse(RamWindows.isZero(b, PAGE));
        assertArrayEquals(new byte[0], new byte[0]);
    }
}
