package org.jkvm.block;

import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/** The checks that decide whether a qcow2 image may be opened or written, and compressed cluster decoding. */
final class Qcow2Checks {
    private Qcow2Checks() {
    }

    /** Refuses images with incompatible features jkvm does not implement, naming them from the image's table. */
    static void features(Path path, Qcow2Header h) {
        long unknown = h.incompatible() & ~Qcow2Header.INCOMPAT_KNOWN;
        if (unknown == 0) {
            return;
        }
        StringBuilder names = new StringBuilder();
        for (int bit = 0; bit < 64; bit++) {
            if ((unknown & (1L << bit)) != 0) {
                names.append(names.length() == 0 ? "" : ", ").append(h.incompatibleName(bit));
            }
        }
        throw new BlockException(BlockException.Kind.UNSUPPORTED, "qcow2 image " + path + " uses " + names + ", which "
                + "jkvm does not implement; convert it with qemu-img convert -O qcow2 (without those options)");
    }

    /** The extra conditions for writing: version 3, no internal snapshots, clean, and room on the file system. */
    static void writable(Path path, Qcow2Header h, ImageFile file) {
        String fix = null;
        if (h.version() != 3) {
            fix = "is qcow2 version 2, which jkvm only reads; upgrade it with qemu-img amend -o compat=1.1 " + path
                    + " or open it readonly=on";
        } else if (h.snapshots() != 0) {
            fix = "has " + h.snapshots() + " internal snapshots, and jkvm writes only images without them; delete "
                    + "them (qemu-img snapshot -d) or open it readonly=on";
        } else if ((h.incompatible() & Qcow2Header.INCOMPAT_DIRTY) != 0) {
            fix = "was not closed cleanly by a program using lazy refcounts (its dirty bit is set); repair it with "
                    + "qemu-img check -r all " + path;
        } else if ((h.incompatible() & Qcow2Header.INCOMPAT_CORRUPT) != 0) {
            fix = "is marked corrupt by QEMU; repair it with qemu-img check -r all " + path + " or open it readonly=on";
        }
        if (fix != null) {
            throw new BlockException(BlockException.Kind.UNSUPPORTED, "cannot write qcow2 image " + path + ": it "
                    + fix);
        }
        // A fully written image holds at least its virtual size in data clusters: the file system must allow that.
        if (!file.fitsSize(h.sizeBytes())) {
            long max = file.maxFileSize();
            throw new BlockException(BlockException.Kind.INVALID_REQUEST, "qcow2 image " + path + " has a virtual "
                    + "size of " + h.sizeBytes() + " bytes (" + human(h.sizeBytes()) + "), more than the largest file "
                    + "its file system allows (" + max + " bytes, " + human(max) + "); nothing was written, keep it on "
                    + "a file system that holds files that large (xfs, btrfs) or use a smaller disk");
        }
    }

    static String human(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** The byte offset of a compressed cluster's data: bits 0..x-1, x = 62 - (cluster_bits - 8). */
    static long compressedOffset(long entry, int clusterBits) {
        int x = 62 - (clusterBits - 8);
        return entry & ((1L << x) - 1);
    }

    /** The 512-byte sectors a compressed cluster's data spans, counting the one its offset is in. */
    static long compressedSectors(long entry, int clusterBits) {
        int x = 62 - (clusterBits - 8);
        return ((entry >>> x) & ((1L << (clusterBits - 8)) - 1)) + 1;
    }

    /** How many bytes from {@link #compressedOffset} may hold the compressed data. */
    static int compressedBytes(long entry, int clusterBits) {
        return (int) (compressedSectors(entry, clusterBits) * 512 - (compressedOffset(entry, clusterBits) & 511));
    }

    /** Inflates raw deflate data (no zlib header, as qcow2 stores it) to exactly one cluster. */
    static byte[] inflate(Qcow2Header.Corrupt corrupt, long offset, byte[] in, int clusterSize) {
        byte[] out = new byte[clusterSize];
        Inflater inflater = new Inflater(true);
        int got = 0;
        try {
            inflater.setInput(in);
            while (got < clusterSize) {
                int r = inflater.inflate(out, got, clusterSize - got);
                if (r == 0 && (inflater.finished() || inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                got += r;
            }
        } catch (DataFormatException e) {
            throw corrupt.corrupt("the compressed cluster at 0x" + Long.toHexString(offset) + " is not valid deflate "
                    + "data (" + e.getMessage() + ")");
        } finally {
            inflater.end();
        }
        if (got != clusterSize) {
            throw corrupt.corrupt("the compressed cluster at 0x" + Long.toHexString(offset) + " inflates to " + got
                    + " bytes instead of " + clusterSize);
        }
        return out;
    }
}
