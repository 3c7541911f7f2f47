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
import java.util.TreeMap;
import java.util.zip.Deflater;

import org.jkvm.migration.stream.RamWindows;
import org.jkvm.migration.stream.RawRecords;
import org.jkvm.migration.stream.StreamException;
import org.jkvm.migration.stream.StreamFormat;
import org.jkvm.migration.stream.StreamIn;
import org.jkvm.migration.stream.StreamLoader;
import org.jkvm.migration.stream.StreamOut;
import org.jkvm.vmstate.StateSection;
import org.junit.jupiter.api.Test;

/** CONFIG_DEFLATE and DEVICE_DEFLATE (stream version 2): round trips, corruption and hostile lengths. */
class DeflateRecordsTest {
    /** A CPUID-table-like fingerprint of 80 entries (about 4 KiB raw). */
    static Map<String, String> bigConfig() {
        Map<String, String> cfg = new TreeMap<>();
        for (int leaf = 0; leaf < 80; leaf++) {
            cfg.put(String.format("cpuid.%08x.0", leaf), String.format("%08x,00000000,00000000,%08x", leaf * 7,
                    leaf % 3));
        }
        return cfg;
    }

    interface Body {
        void write(StreamOut out) throws IOException;
    }

    /** Header, CONFIG written by {@code config}, the records of {@code body}, EOF; header version {@code v}. */
    static byte[] stream(int v, Map<String, String> config, Body body) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StreamOut out = new StreamOut(Channels.newChannel(bytes), 0,
                StreamOut.UNLIMITED);
        out.header();
        out.config(config);
        body.write(out);
        out.eof(false);
        out.flush();
        byte[] b = bytes.toByteArray();
        ByteBuffer.wrap(b).putInt(4, v);
        return b;
    }

    static Map<String, String> loadedConfig;

    static StreamLoader.Result load(byte[] stream) throws IOException {
        StreamLoader l = new StreamLoader(new StreamIn(Channels.newChannel(new ByteArrayInputStream(stream)), 0),
                new RamWindows(FakeMemory.of(4096)));
        l.header();
        loadedConfig = l.config();
        return l.body();
    }

    static final StateSection CPU = new StateSection("cpu", 0, 2, StreamFormatTest.cpuPayload());

    @Test
    void bigConfigAndMostlyZeroDeviceStateAreDeflatedAndRoundTrip() throws IOException {
        byte[] s = stream(2, bigConfig(), out -> out.device(CPU));
        assertEquals(StreamFormat.REC_CONFIG_DEFLATE, s[12]);
        assertEquals(List.of(CPU), load(s).sections());
        assertEquals(bigConfig(), loadedConfig);
        assertTrue(s.length < 1500, "config of ~4 KiB and a 1 KiB section took " + s.length + " bytes");
    }

    @Test
    void everyBitFlipInTheDeflatedRecordsIsCaught() throws IOException {
        byte[] good = stream(2, bigConfig(), out -> out.device(CPU));
        for (int i = 12; i < good.length; i++) {
            for (int bit : new int[] {0x01, 0x10, 0x80}) {
                byte[] bad = good.clone();
                bad[i] ^= (byte) bit;
                try {
                    StreamLoader.Result r = load(bad);
                    if (r.sections().equals(List.of(CPU)) && bigConfig().equals(loadedConfig)) {
                        fail("flipping bit " + bit + " of byte " + i + " went unnoticed");
                    }
                    fail("flipping bit " + bit + " of byte " + i + " changed what was loaded without an error");
                } catch (StreamException | IOException e) {
                    assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
                }
            }
        }
    }

    @Test
    void truncationInsideADeflatedRecordIsAnEndOfStreamError() throws IOException {
        byte[] good = stream(2, bigConfig(), out -> out.device(CPU));
        for (int len = 13; len < good.length; len += 37) {
            byte[] cut = Arrays.copyOf(good, len);
            IOException e = assertThrows(IOException.class, () -> load(cut));
            assertTrue(e.getMessage().contains("stream ended"), e.getMessage());
        }
    }

    /** A DEVICE_DEFLATE record with a valid CRC around whatever lengths and data the test gives. */
    static byte[] device(int version, int rawLength, byte[] z) throws IOException {
        return stream(version, Map.of("k", "v"), out -> {
            RawRecords.begin(out, StreamFormat.REC_DEVICE_DEFLATE, 100);
            RawRecords.string(out, "cpu");
            RawRecords.buffer(out).putInt(0).putInt(1).putInt(rawLength);
            RawRecords.bytes(out, z);
            RawRecords.end(out);
        });
    }

    static byte[] zlib(byte[] raw) {
        Deflater d = new Deflater();
        d.setInput(raw);
        d.finish();
        byte[] buf = new byte[raw.length + 64];
        int n = d.deflate(buf);
        d.end();
        return Arrays.copyOf(buf, n);
    }

    @Test
    void hostileLengthsAndBadDataAreRefusedNamingTheSection() throws IOException {
        byte[] z = zlib(new byte[1000]);
        load(device(2, 1000, z)); // well-formed
        assertRefused(device(2, 999, z), "DEVICE section cpu#0 does not inflate to the 999 bytes");
        assertRefused(device(2, 1001, z), "DEVICE section cpu#0 does not inflate to the 1001 bytes");
        assertRefused(device(2, 5, z), "claims " + z.length + " compressed bytes for 5");
        assertRefused(device(2, -1, z), "claims " + z.length + " compressed bytes for 4294967295");
        assertRefused(device(2, (16 << 20) + 1, z), "for 16777217 (at most 16777216");
        byte[] junk = z.clone();
        junk[0] = 0x13;
        assertRefused(device(2, 1000, junk), "DEVICE section cpu#0 holds invalid zlib data");
        byte[] tail = Arrays.copyOf(z, z.length + 1);
        assertRefused(device(2, 1000, tail), "does not inflate to the 1000 bytes");
        assertRefused(device(1, 1000, z), "(DEVICE_DEFLATE) at stream offset");
    }

    static void assertRefused(byte[] stream, String part) {
        StreamException e = assertThrows(StreamException.class, () -> load(stream));
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
