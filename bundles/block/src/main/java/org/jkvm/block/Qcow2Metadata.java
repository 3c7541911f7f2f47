package org.jkvm.block;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Set;

/**
 * The mapping of a qcow2 image from guest clusters to the file: the L1 table (in memory whole), the L2 tables
 * (cached), the refcounts, and the checks that keep a damaged image from being trusted.
 *
 * <p>Entries (big-endian u64):
 * <pre>
 *   L1: bit 63 COPIED (refcount 1) | bits 9-55 offset of the L2 table | 0 = no table
 *   L2: bit 63 COPIED | bit 62 compressed | bits 9-55 data cluster offset | bit 0 reads as zeros (v3)
 *       compressed: bits 0..x-1 byte offset, bits x..61 additional 512-byte sectors, x = 62 - (cluster_bits - 8)
 * </pre>
 * Every table read from the file is checked before use: offsets aligned, inside the file, and not pointing at the
 * header, the L1 table, the refcount structures or another L2 table. A failed check throws {@code CORRUPT} before
 * anything is written. Not thread-safe: the image's metadata lock guards every call.
 */
final class Qcow2Metadata {
    static final long COPIED = 1L << 63;
    static final long COMPRESSED = 1L << 62;
    static final long ZERO = 1L;
    static final long OFFSET_MASK = 0x00ff_ffff_ffff_fe00L;
    private static final int L2_CACHE_BYTES = 32 << 20;

    /** What an L2 entry says about its guest cluster. */
    enum Kind { UNALLOCATED, NORMAL, ZERO, COMPRESSED }

    /** {@code clusters} consecutive guest clusters of one kind (host-contiguous when NORMAL), from {@code entry}. */
    record Run(Kind kind, long entry, int clusters) {
    }

    final Qcow2Header header;
    final Qcow2Refcounts refcounts;
    private final ImageFile file;
    private final Qcow2Header.Corrupt corrupt;
    private final int clusterBits;
    private final int clusterSize;
    private final int l2Entries;
    private final byte[] l1;
    private final TableCache l2Cache;
    private final Set<Long> l2Offsets = new HashSet<>();

    /** Reads the L1 table, the refcount table, and checks them against the file. */
    Qcow2Metadata(ImageFile file, Qcow2Header h, Qcow2Header.Corrupt corrupt) {
        this.file = file;
        this.header = h;
        this.corrupt = corrupt;
        this.clusterBits = h.clusterBits();
        this.clusterSize = h.clusterSize();
        this.l2Entries = h.l2Entries();
        this.l2Cache = new TableCache(Math.max(16, L2_CACHE_BYTES / clusterSize));
        long fileSize = file.size();
        this.refcounts = new Qcow2Refcounts(file, h, corrupt, fileSize);
        this.l1 = new byte[h.l1Size() * 8];
        file.read(h.l1Offset(), ByteBuffer.wrap(l1));
        for (int i = TableCache.nextNonZeroEntry(l1, 0); i < h.l1Size(); i = TableCache.nextNonZeroEntry(l1, i + 1)) {
            long off = l1Entry(i) & OFFSET_MASK;
            if (off == 0) {
                continue;
            }
            if ((off & (clusterSize - 1)) != 0 || off >= fileSize || isFixedMetadata(off)) {
                String why = off >= fileSize ? ", past the end of the file (" + fileSize + " bytes)"
                        : ", which is not an L2 table's place";
                throw corrupt.corrupt("L1 entry " + i + " points at 0x" + Long.toHexString(off) + why);
            }
            l2Offsets.add(off);
        }
    }

    static Kind kind(long entry, int version) {
        if ((entry & COMPRESSED) != 0) {
            return Kind.COMPRESSED;
        }
        if (version >= 3 && (entry & ZERO) != 0) {
            return Kind.ZERO;
        }
        return (entry & OFFSET_MASK) == 0 ? Kind.UNALLOCATED : Kind.NORMAL;
    }

    Kind kind(long entry) {
        return kind(entry, header.version());
    }

    private long l1Entry(int i) {
        return ByteBuffer.wrap(l1).getLong(i * 8);
    }

    /** The header cluster, the L1 table or the refcount table: places no L2 table or data cluster may be. */
    private boolean isFixedMetadata(long off) {
        long l1End = header.l1Offset() + l1.length;
        long rtEnd = refcounts.tableOffset() + refcounts.tableBytes();
        return off < clusterSize || (off + clusterSize > header.l1Offset() && off < l1End)
                || (off + clusterSize > refcounts.tableOffset() && off < rtEnd) || refcounts.isBlock(off);
    }

    /** The L2 table for L1 index {@code i}, or null when there is none. */
    private byte[] l2Table(int i) {
        long off = l1Entry(i) & OFFSET_MASK;
        if (off == 0) {
            return null;
        }
        byte[] t = l2Cache.get(off);
        if (t == null) {
            t = new byte[clusterSize];
            file.read(off, ByteBuffer.wrap(t));
            check(t, i);
            l2Cache.put(off, t);
        }
        return t;
    }

    private void check(byte[] t, int l1Index) {
        long fileSize = file.size();
        ByteBuffer b = ByteBuffer.wrap(t);
        for (int j = TableCache.nextNonZeroEntry(t, 0); j < l2Entries; j = TableCache.nextNonZeroEntry(t, j + 1)) {
            long e = b.getLong(j * 8);
            Kind k = kind(e);
            long host = k == Kind.COMPRESSED ? compressedOffset(e) : e & OFFSET_MASK;
            if (k == Kind.UNALLOCATED || host == 0) {
                continue;
            }
            long guest = ((long) l1Index * l2Entries + j) << clusterBits;
            String where = "the L2 entry for guest offset 0x" + Long.toHexString(guest) + " points at 0x"
                    + Long.toHexString(host);
            if (host >= fileSize) {
                throw corrupt.corrupt(where + ", past the end of the file (" + fileSize + " bytes)");
            }
            if (k != Kind.COMPRESSED && ((host & (clusterSize - 1)) != 0 || isFixedMetadata(host)
                    || l2Offsets.contains(host))) {
                throw corrupt.corrupt(where + ", which is not a data cluster");
            }
        }
    }

    /** The raw L2 entry of guest cluster {@code gc} (0 when its L2 table does not exist). */
    long entry(long gc) {
        byte[] t = l2Table((int) (gc / l2Entries));
        return t == null ? 0 : ByteBuffer.wrap(t).getLong((int) (gc % l2Entries) * 8);
    }

    /** The run of clusters from {@code gc} that can be served alike, at most {@code max} and within one L2 table. */
    Run run(long gc, long max) {
        byte[] t = l2Table((int) (gc / l2Entries));
        int idx = (int) (gc % l2Entries);
        int limit = (int) Math.min(max, l2Entries - idx);
        if (t == null) {
            return new Run(Kind.UNALLOCATED, 0, limit);
        }
        ByteBuffer b = ByteBuffer.wrap(t);
        long e0 = b.getLong(idx * 8);
        Kind k = kind(e0);
        int n = 1;
        if (k != Kind.COMPRESSED) {
            while (n < limit) {
                long e = b.getLong((idx + n) * 8);
                if (kind(e) != k || (k == Kind.NORMAL
                        && (e & OFFSET_MASK) != (e0 & OFFSET_MASK) + ((long) n << clusterBits))) {
                    break;
                }
                n++;
            }
        }
        return new Run(k, e0, n);
    }

    /**
     * The L2 table for L1 index {@code i}, made when missing: a cluster from the refcounts (counted and stable),
     * written as zeros, then entered in the L1 table with COPIED set.
     */
    byte[] l2ForWrite(int i) {
        long l1e = l1Entry(i);
        if ((l1e & OFFSET_MASK) != 0) {
            if ((l1e & COPIED) == 0) {
                throw corrupt.corrupt("L1 entry " + i + " lacks the COPIED flag (its L2 table is shared)");
            }
            return l2Table(i);
        }
        long off = refcounts.allocate();
        byte[] t = new byte[clusterSize];
        file.write(off, ByteBuffer.wrap(t));
        ByteBuffer.wrap(l1).putLong(i * 8, off | COPIED);
        TableCache.writeThrough(file, header.l1Offset(), l1, i * 8, i * 8 + 8);
        l2Offsets.add(off);
        l2Cache.put(off, t);
        return t;
    }

    /** Sets the entries of guest clusters {@code gc[k]} (all in one L2 table) and writes the table's changed part. */
    void setEntries(long[] gc, long[] entries, int count) {
        int l1Index = (int) (gc[0] / l2Entries);
        byte[] t = l2ForWrite(l1Index);
        ByteBuffer b = ByteBuffer.wrap(t);
        int lo = Integer.MAX_VALUE;
        int hi = -1;
        for (int k = 0; k < count; k++) {
            int idx = (int) (gc[k] % l2Entries);
            b.putLong(idx * 8, entries[k]);
            lo = Math.min(lo, idx);
            hi = Math.max(hi, idx);
        }
        if (hi >= 0) {
            TableCache.writeThrough(file, l1Entry(l1Index) & OFFSET_MASK, t, lo * 8, hi * 8 + 8);
        }
    }

    /** Drops the references an entry held, after the entry was replaced in its L2 table. */
    void freeEntry(long entry) {
        Kind k = kind(entry);
        if (k == Kind.COMPRESSED) {
            refcounts.free(compressedOffset(entry) & ~511L, compressedSectors(entry) * 512L);
        } else if ((entry & OFFSET_MASK) != 0 && k != Kind.UNALLOCATED) {
            refcounts.free(entry & OFFSET_MASK, clusterSize);
        }
    }

    private long compressedOffset(long entry) {
        return Qcow2Checks.compressedOffset(entry, clusterBits);
    }

    private long compressedSectors(long entry) {
        return Qcow2Checks.compressedSectors(entry, clusterBits);
    }
}
