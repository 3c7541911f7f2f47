package org.jkvm.block;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * The refcount table and blocks of a qcow2 image, and cluster allocation.
 *
 * <p><b>Allocation.</b> New clusters come only from the end of the image: {@code nextFree} starts past the end of
 * the file and past every cluster a refcount block counts, and only grows. So a cluster freed while the image is
 * open (an overwritten compressed cluster) is never handed out again before the image is reopened, and a request
 * that read a mapping without the lock can never read or write a cluster that meanwhile became someone else's.
 *
 * <p><b>Reservations.</b> Clusters are reserved in batches ({@link #batchClusters}): their refcounts are set to 1
 * and written, then one {@code fdatasync} makes them stable, then they are handed out one by one. A cluster is
 * therefore always counted on disk before any L1 or L2 entry points at it, at the cost of one sync per batch. Each
 * batch is twice the one before, from 4 MiB up to 64 MiB of clusters, until {@link #release()}: a guest that fills
 * new space (a sequential write of a fresh image) pays 5 syncs for its first 64 MiB instead of 16, each of which
 * also writes back the data written since the last (8 ms each here, 130 ms for those 16). A kill leaks at most the
 * unused rest of a batch (refcount 1, no reference: "leaked clusters" in {@code qemu-img check}, which is not
 * corruption); {@link #release()} gives the rest back at a clean close, a pre-flush or a handover.
 *
 * <p><b>New refcount blocks</b> are written whole, synced, and only then entered in the table; a block's own cluster
 * is counted in itself when it covers itself, else in its block first. <b>A grown table</b> is written whole at a
 * new place, synced, then the header is switched to it (one write inside the first sector), synced, and only then
 * the old table's clusters are freed.
 *
 * <p>Refcounts are {@code 1 << order} bits wide (1 to 64): below 8 bits packed from the least significant bit of
 * each byte, from 8 bits on big-endian. Not thread-safe: the image's metadata lock guards every call.
 */
final class Qcow2Refcounts {
    private static final int BLOCK_CACHE_BYTES = 8 << 20;

    private final ImageFile file;
    private final Qcow2Header.Corrupt corrupt;
    private final int clusterBits;
    private final int clusterSize;
    private final int order;
    private final int blockShift;
    private final long maxRefcount;
    private final TableCache blocks;
    private final Set<Long> blockOffsets = new HashSet<>();
    private final ArrayDeque<long[]> pool = new ArrayDeque<>();
    private final int firstBatchClusters;
    private final int maxBatchClusters;
    /** The size of the next reservation, in clusters. */
    private int batchClusters;

    private long tableOffset;
    private int tableClusters;
    private byte[] table;
    /** Entries of {@link #table} that exist on disk at {@link #tableOffset}; more only while the table grows. */
    private int onDiskEntries;
    private long nextFree;
    private boolean growing;

    Qcow2Refcounts(ImageFile file, Qcow2Header h, Qcow2Header.Corrupt corrupt, long fileSize) {
        this.file = file;
        this.corrupt = corrupt;
        this.clusterBits = h.clusterBits();
        this.clusterSize = h.clusterSize();
        this.order = h.refcountOrder();
        this.blockShift = clusterBits + 3 - order;
        this.maxRefcount = order == 6 ? Long.MAX_VALUE : (1L << (1 << order)) - 1;
        this.blocks = new TableCache(Math.max(16, BLOCK_CACHE_BYTES / clusterSize));
        this.firstBatchClusters = Math.max(16, Math.min(4096, (4 << 20) / clusterSize));
        this.maxBatchClusters = Math.max(firstBatchClusters, Math.min(16384, (64 << 20) / clusterSize));
        this.batchClusters = firstBatchClusters;
        this.tableOffset = h.refcountTableOffset();
        this.tableClusters = h.refcountTableClusters();
        this.table = new byte[tableClusters * clusterSize];
        file.read(tableOffset, ByteBuffer.wrap(table));
        this.onDiskEntries = table.length / 8;
        for (int i = TableCache.nextNonZeroEntry(table, 0); i < onDiskEntries;
                i = TableCache.nextNonZeroEntry(table, i + 1)) {
            long e = entry(i);
            if ((e & (clusterSize - 1)) != 0 || e < 0 || e >= fileSize) {
                throw corrupt.corrupt("refcount table entry " + i + " points at 0x" + Long.toHexString(e)
                        + (e >= fileSize ? ", past the end of the file (" + fileSize + " bytes)" : ", not a cluster"));
            }
            blockOffsets.add(e);
        }
        this.nextFree = firstFree(fileSize);
    }

    /** Past the end of the file and past the last cluster any block counts (a kill can leave such reservations). */
    private long firstFree(long fileSize) {
        long first = (fileSize + clusterSize - 1) >>> clusterBits;
        for (int b = (int) Math.min(first >>> blockShift, onDiskEntries); b < onDiskEntries; b++) {
            if (entry(b) == 0) {
                continue;
            }
            byte[] blk = block(entry(b));
            // Only counts at or past `first` can move it; usually nothing is counted there (one compare).
            long fromSlot = Math.max(0, first - ((long) b << blockShift));
            if (TableCache.nextNonZeroByte(blk, (int) ((fromSlot << order) >>> 3)) == blk.length) {
                continue;
            }
            for (int slot = (1 << blockShift) - 1; slot >= 0; slot--) {
                if (get(blk, slot, order) != 0) {
                    first = Math.max(first, ((long) b << blockShift) + slot + 1);
                    break;
                }
            }
        }
        return first;
    }

    long tableOffset() {
        return tableOffset;
    }

    long tableBytes() {
        return (long) tableClusters * clusterSize;
    }

    /** Whether a refcount block lives at this file offset. */
    boolean isBlock(long offset) {
        return blockOffsets.contains(offset);
    }

    private long entry(int i) {
        return ByteBuffer.wrap(table).getLong(i * 8);
    }

    private byte[] block(long offset) {
        byte[] b = blocks.get(offset);
        if (b == null) {
            b = new byte[clusterSize];
            file.read(offset, ByteBuffer.wrap(b));
            blocks.put(offset, b);
        }
        return b;
    }

    /** The refcount of cluster {@code cluster} (an index, not an offset); 0 where no block counts it. */
    long refcount(long cluster) {
        long b = cluster >>> blockShift;
        if (b >= table.length / 8 || entry((int) b) == 0) {
            return 0;
        }
        return get(block(entry((int) b)), (int) (cluster & ((1 << blockShift) - 1)), order);
    }

    /** One cluster counted once and stable on disk (when the cache mode syncs), for the caller to link. */
    long allocate() {
        if (pool.isEmpty()) {
            reserve(batchClusters);
            batchClusters = Math.min(maxBatchClusters, batchClusters * 2);
        }
        long[] run = pool.peekFirst();
        long cluster = run[0]++;
        if (run[0] == run[1]) {
            pool.removeFirst();
        }
        return cluster << clusterBits;
    }

    /** Reserves up to {@code n} contiguous free clusters at the end: counted, written, then synced. */
    private void reserve(int n) {
        while (refcount(nextFree) != 0) {
            nextFree++;
        }
        long start = nextFree;
        int got = 1;
        while (got < n && refcount(start + got) == 0) {
            got++;
        }
        nextFree = start + got;
        adjust(start, got, 1);
        barrier();
        pool.addLast(new long[] {start, start + got});
    }

    /** Gives back the reserved clusters nobody linked (refcount back to 0), before a clean close or a handover. */
    void release() {
        while (!pool.isEmpty()) {
            long[] run = pool.removeFirst();
            adjust(run[0], (int) (run[1] - run[0]), -1);
        }
        batchClusters = firstBatchClusters;
    }

    /** Drops one reference from every cluster that bytes {@code [offset, offset + length)} touch. */
    void free(long offset, long length) {
        long first = offset >>> clusterBits;
        long last = (offset + length - 1) >>> clusterBits;
        adjust(first, (int) (last - first + 1), -1);
    }

    private void barrier() {
        if (file.barriersNeeded()) {
            file.flush();
        }
    }

    /** Adds {@code delta} to the refcounts of {@code count} clusters from {@code first}, writing each block once. */
    void adjust(long first, int count, int delta) {
        long c = first;
        long end = first + count;
        while (c < end) {
            long b = c >>> blockShift;
            long blockEnd = Math.min(end, (b + 1) << blockShift);
            byte[] blk = blockForWrite(b);
            long blkOffset = entry((int) b);
            int firstSlot = (int) (c & ((1 << blockShift) - 1));
            int lastSlot = (int) ((blockEnd - 1) & ((1 << blockShift) - 1));
            for (int s = firstSlot; s <= lastSlot; s++) {
                long v = get(blk, s, order) + delta;
                if (v < 0 || v > maxRefcount) {
                    throw corrupt.corrupt("the refcount of cluster 0x" + Long.toHexString((b << blockShift) + s)
                            + " would become " + v + " (refcounts are " + (1 << order) + " bits)");
                }
                put(blk, s, order, v);
            }
            TableCache.writeThrough(file, blkOffset, blk, byteOf(firstSlot), byteOf(lastSlot) + Math.max(1,
                    (1 << order) / 8));
            c = blockEnd;
        }
    }

    private int byteOf(int slot) {
        return (int) (((long) slot << order) >>> 3);
    }

    /** The block that counts block index {@code b}, made (and entered in the table) when it does not exist. */
    private byte[] blockForWrite(long b) {
        if (b >= table.length / 8) {
            grow(b);
        }
        long offset = entry((int) b);
        if (offset != 0) {
            return block(offset);
        }
        while (refcount(nextFree) != 0) {
            nextFree++;
        }
        long cluster = nextFree++;
        long at = cluster << clusterBits;
        byte[] blk = new byte[clusterSize];
        if ((cluster >>> blockShift) == b) {
            put(blk, (int) (cluster & ((1 << blockShift) - 1)), order, 1);
        } else {
            adjust(cluster, 1, 1); // counted in its own block first, so the table never names an uncounted cluster
        }
        file.write(at, ByteBuffer.wrap(blk));
        barrier();
        ByteBuffer.wrap(table).putLong((int) b * 8, at);
        if (b < onDiskEntries) {
            TableCache.writeThrough(file, tableOffset, table, (int) b * 8, (int) b * 8 + 8);
        }
        blocks.put(at, blk);
        blockOffsets.add(at);
        return blk;
    }

    /** Moves the refcount table to a larger place at the end of the image (see the class comment). */
    private void grow(long neededIndex) {
        if (growing) {
            throw new IllegalStateException("refcount table growth re-entered");
        }
        int perCluster = clusterSize / 8;
        long want = Math.max(neededIndex + 1, (long) table.length / 8 * 2);
        long clusters = (want + perCluster - 1) / perCluster;
        if (clusters * clusterSize > Qcow2Header.MAX_REFCOUNT_TABLE_BYTES) {
            throw new BlockException(BlockException.Kind.INVALID_REQUEST, "qcow2 image " + file.path() + " cannot "
                    + "grow further: its refcount table would exceed 8 MiB; use a larger cluster size");
        }
        growing = true;
        try {
            long oldOffset = tableOffset;
            int oldClusters = tableClusters;
            table = Arrays.copyOf(table, (int) clusters * clusterSize);
            long start = contiguousFree((int) clusters);
            adjust(start, (int) clusters, 1);
            file.write(start << clusterBits, ByteBuffer.wrap(table));
            barrier();
            ByteBuffer field = ByteBuffer.allocate(12).putLong(start << clusterBits).putInt((int) clusters).flip();
            file.write(Qcow2Header.OFF_REFCOUNT_TABLE, field);
            barrier();
            tableOffset = start << clusterBits;
            tableClusters = (int) clusters;
            onDiskEntries = table.length / 8;
            adjust(oldOffset >>> clusterBits, oldClusters, -1);
        } finally {
            growing = false;
        }
    }

    private long contiguousFree(int n) {
        long start = nextFree;
        int got = 0;
        while (got < n) {
            if (refcount(start + got) != 0) {
                start = start + got + 1;
                got = 0;
            } else {
                got++;
            }
        }
        nextFree = start + n;
        return start;
    }

    /** Entry {@code index} of a refcount block with {@code 1 << order}-bit entries. */
    static long get(byte[] block, int index, int order) {
        int bits = 1 << order;
        if (bits < 8) {
            int bit = index << order;
            return ((block[bit >>> 3] & 0xff) >>> (bit & 7)) & ((1 << bits) - 1);
        }
        int bytes = bits >>> 3;
        int at = index * bytes;
        long v = 0;
        for (int i = 0; i < bytes; i++) {
            v = (v << 8) | (block[at + i] & 0xff);
        }
        return v;
    }

    /** Sets entry {@code index} of a refcount block with {@code 1 << order}-bit entries. */
    static void put(byte[] block, int index, int order, long value) {
        int bits = 1 << order;
        if (bits < 8) {
            int bit = index << order;
            int mask = ((1 << bits) - 1) << (bit & 7);
            block[bit >>> 3] = (byte) ((block[bit >>> 3] & ~mask) | ((int) (value << (bit & 7)) & mask));
            return;
        }
        int bytes = bits >>> 3;
        int at = index * bytes;
        for (int i = bytes - 1; i >= 0; i--) {
            block[at + i] = (byte) value;
            value >>>= 8;
        }
    }
}
