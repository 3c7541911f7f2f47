package org.jkvm.block;

import java.nio.ByteBuffer;

import org.jkvm.block.Qcow2Metadata.Kind;
import org.jkvm.block.Qcow2Metadata.Run;

/**
 * The content of a qcow2 image's guest clusters as its L2 entries describe them: a normal cluster's bytes from the
 * file, zeros, the backing image's bytes (zeros past its end or without one), or a compressed cluster inflated (the
 * last one kept, since sequential reads of a compressed cluster come in pieces). Used by the image's reads and by
 * its writes, which copy the old content around the bytes they write into a new cluster.
 *
 * <p>Thread-safe: the only state is the last inflated cluster, replaced as a whole (a volatile record).
 */
final class Qcow2Clusters {
    private static final byte[] ZEROS = new byte[64 << 10];

    private record Decompressed(long entry, byte[] data) {
    }

    private final ImageFile file;
    private final BlockImage backing;
    private final int clusterBits;
    private final int version;
    private final Qcow2Header.Corrupt corrupt;
    private volatile Decompressed lastDecompressed;

    /**
     * @param file        the image's file
     * @param backing     the backing image, or null
     * @param clusterBits log2 of the cluster size in bytes
     * @param version     the qcow2 version (bit 0 of an L2 entry means zeros from version 3 on)
     * @param corrupt     the image's corruption reports
     */
    Qcow2Clusters(ImageFile file, BlockImage backing, int clusterBits, int version, Qcow2Header.Corrupt corrupt) {
        this.file = file;
        this.backing = backing;
        this.clusterBits = clusterBits;
        this.version = version;
        this.corrupt = corrupt;
    }

    /** Forgets the inflated cluster (the metadata was read afresh: the entry may mean other bytes now). */
    void forget() {
        lastDecompressed = null;
    }

    /** Fills {@code part} from guest offset {@code guestOffset}, {@code in} bytes into the run's first cluster. */
    void readRun(Run run, long guestOffset, int in, ByteBuffer part) {
        switch (run.kind()) {
            case NORMAL -> file.read((run.entry() & Qcow2Metadata.OFFSET_MASK) + in, part);
            case ZERO -> zero(part);
            case UNALLOCATED -> readBacking(guestOffset, part);
            case COMPRESSED -> part.put(ByteBuffer.wrap(decompress(run.entry()), in, part.remaining()));
            default -> throw new IllegalStateException(run.kind().toString());
        }
    }

    /**
     * Fills {@code part} with what guest cluster {@code gc} held under L2 entry {@code entry}, from {@code in} bytes
     * into the cluster on (nothing when {@code part} is empty).
     */
    void fillOld(long entry, long gc, ByteBuffer part, int in) {
        if (!part.hasRemaining()) {
            return;
        }
        switch (Qcow2Metadata.kind(entry, version)) {
            case NORMAL -> file.read((entry & Qcow2Metadata.OFFSET_MASK) + in, part);
            case ZERO -> zero(part);
            case UNALLOCATED -> readBacking((gc << clusterBits) + in, part);
            case COMPRESSED -> part.put(ByteBuffer.wrap(decompress(entry), in, part.remaining()));
            default -> throw new IllegalStateException();
        }
    }

    /** Whether guest cluster {@code gc} under {@code entry} may hold bytes other than zeros. */
    boolean mayHoldData(Kind kind, long gc) {
        return switch (kind) {
            case COMPRESSED, NORMAL -> true;
            case ZERO -> false;
            case UNALLOCATED -> backing != null && (gc << clusterBits) < backing.sizeBytes();
        };
    }

    /** Reads from the backing image; past its end (or without one) the bytes are zeros. */
    private void readBacking(long guestOffset, ByteBuffer part) {
        long inBacking = backing == null ? 0
                : Math.max(0, Math.min(part.remaining(), backing.sizeBytes() - guestOffset));
        if (inBacking > 0) {
            backing.read(guestOffset, part.slice(part.position(), (int) inBacking));
            part.position(part.position() + (int) inBacking);
        }
        zero(part);
    }

    /** Fills the rest of {@code b} with zeros. */
    static void zero(ByteBuffer b) {
        while (b.hasRemaining()) {
            b.put(ZEROS, 0, Math.min(ZEROS.length, b.remaining()));
        }
    }

    private byte[] decompress(long entry) {
        Decompressed d = lastDecompressed;
        if (d != null && d.entry() == entry) {
            return d.data();
        }
        long off = Qcow2Checks.compressedOffset(entry, clusterBits);
        byte[] in = new byte[Qcow2Checks.compressedBytes(entry, clusterBits)];
        file.read(off, ByteBuffer.wrap(in));
        byte[] out = Qcow2Checks.inflate(corrupt, off, in, 1 << clusterBits);
        lastDecompressed = new Decompressed(entry, out);
        return out;
    }
}
