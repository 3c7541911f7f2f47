package org.jkvm.migration.stream;

import java.io.ByteArrayOutputStream;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * zlib for the CONFIG_DEFLATE and DEVICE_DEFLATE records ({@link StreamFormat#REC_CONFIG_DEFLATE},
 * {@link StreamFormat#REC_DEVICE_DEFLATE}): {@link StreamOut} deflates when that is smaller, {@link StreamLoader}
 * inflates with every length checked. The CPUID table and the vCPU's mostly-zero register areas shrink about
 * tenfold, which matters for an idle guest whose non-zero RAM is a few pages. Stateless and thread-safe.
 */
final class Zlib {
    private Zlib() {
    }

    /**
     * Inflates zlib data that must give exactly {@code rawLength} bytes.
     *
     * @param what the record, for the message
     * @throws StreamException when the data is not zlib, gives another length, or has bytes after its end
     */
    static byte[] inflate(byte[] z, int rawLength, String what) {
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
                throw new StreamException("the " + what + " does not inflate to the " + rawLength
                        + " bytes it claims; the stream is corrupt");
            }
            return raw;
        } catch (DataFormatException e) {
            throw new StreamException("the " + what + " holds invalid zlib data (" + e.getMessage()
                    + "); the stream is corrupt", e);
        } finally {
            inf.end();
        }
    }

    static byte[] deflate(byte[] raw) {
        Deflater d = newDeflater();
        try {
            return deflate(raw, d);
        } finally {
            d.end();
        }
    }

    /**
     * The deflater the stream's records use: the best level, as the golden streams were written (the writer must
     * keep producing them byte for byte). One per stream serves all its records: the device sections are deflated
     * inside the guest's downtime, where a fresh deflater per section paid its native setup (about 300 KiB of zlib
     * state allocated and freed) ten times.
     */
    static Deflater newDeflater() {
        return new Deflater(Deflater.BEST_COMPRESSION);
    }

    /** Deflates {@code raw} with {@code d}, which is reset first (so one deflater serves many records). */
    static byte[] deflate(byte[] raw, Deflater d) {
        d.reset();
        d.setInput(raw);
        d.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length / 4 + 64);
        byte[] chunk = new byte[8192];
        while (!d.finished()) {
            out.write(chunk, 0, d.deflate(chunk));
        }
        return out.toByteArray();
    }
}
