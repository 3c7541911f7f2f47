package org.jkvm.migration.stream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

import org.jkvm.migration.MigrationException;
import org.jkvm.vmstate.StateSection;

/**
 * Writes the CONFIG and DEVICE records, zlib-compressed ({@link StreamFormat#REC_CONFIG_DEFLATE},
 * {@link StreamFormat#REC_DEVICE_DEFLATE}) when that is smaller, else plain; and inflates them on the reading side
 * with every length checked. The CPUID table and the vCPU's mostly-zero register areas shrink about tenfold, which
 * matters for an idle guest whose non-zero RAM is a few pages.
 */
public final class StreamRecords {
    private StreamRecords() {
    }

    /** Writes the configuration fingerprint as one CONFIG or CONFIG_DEFLATE record. */
    public static void config(StreamOut out, Map<String, String> cfg) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        raw.write(u32(cfg.size()));
        for (Map.Entry<String, String> e : cfg.entrySet()) {
            str16(raw, e.getKey());
            str16(raw, e.getValue());
        }
        byte[] body = raw.toByteArray();
        byte[] z = deflate(body);
        if (z.length < body.length) {
            out.begin(StreamFormat.REC_CONFIG_DEFLATE, 4);
            out.buffer().putInt(body.length);
            out.bytes(z);
        } else {
            out.begin(StreamFormat.REC_CONFIG, 0);
            out.raw(body);
        }
        out.end();
    }

    /** Writes one device section as a DEVICE or DEVICE_DEFLATE record. */
    public static void device(StreamOut out, StateSection s) throws IOException {
        byte[] z = deflate(s.payload());
        boolean deflated = z.length < s.payload().length;
        out.begin(deflated ? StreamFormat.REC_DEVICE_DEFLATE : StreamFormat.REC_DEVICE,
                2 + StateSection.MAX_NAME_LENGTH + 12);
        out.string(s.name());
        out.buffer().putInt(s.instance()).putInt(s.version());
        if (deflated) {
            out.buffer().putInt(s.payload().length);
            out.bytes(z);
        } else {
            out.bytes(s.payload());
        }
        out.end();
    }

    /**
     * Inflates zlib data that must give exactly {@code rawLength} bytes.
     *
     * @param what the record, for the message
     * @throws MigrationException when the data is not zlib, gives another length, or has bytes after its end
     */
    public static byte[] inflate(byte[] z, int rawLength, String what) {
        Inflater inf = new Inflater();
        try {
            inf.setInput(z);
            byte[] raw = new byte[rawLength];
            int n = 0;
            while (n < rawLength && !inf.finished() && !inf.needsInput() && !inf.needsDictionary()) {
                n += inf.inflate(raw, n, rawLength - n);
            }
            int extra = 0;
            if (n == rawLength && !inf.finished() && inf.getRemaining() > 0) {
                extra = inf.inflate(new byte[1]); // reads the end marker after exactly rawLength bytes, or finds more
            }
            if (n != rawLength || extra != 0 || !inf.finished() || inf.getRemaining() != 0) {
                throw new MigrationException("the " + what + " does not inflate to the " + rawLength
                        + " bytes it claims; the stream is corrupt");
            }
            return raw;
        } catch (DataFormatException e) {
            throw new MigrationException("the " + what + " holds invalid zlib data (" + e.getMessage()
                    + "); the stream is corrupt", e);
        } finally {
            inf.end();
        }
    }

    static byte[] deflate(byte[] raw) {
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION);
        try {
            d.setInput(raw);
            d.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length / 4 + 64);
            byte[] chunk = new byte[8192];
            while (!d.finished()) {
                out.write(chunk, 0, d.deflate(chunk));
            }
            return out.toByteArray();
        } finally {
            d.end();
        }
    }

    private static byte[] u32(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    private static void str16(ByteArrayOutputStream out, String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.write(utf8.length >>> 8);
        out.write(utf8.length);
        out.write(utf8, 0, utf8.length);
    }
}
