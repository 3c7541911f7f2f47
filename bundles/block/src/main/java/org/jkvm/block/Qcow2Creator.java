package org.jkvm.block;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Makes a new, empty qcow2 version 3 image, laid out as {@code qemu-img create} does: the header cluster (header,
 * extensions: backing format and feature names; then the backing file name), the refcount table, the refcount
 * blocks, the L1 table; 16-bit refcounts, deflate compression type, no features set. The file is written whole and
 * synced before this returns; on failure it is removed.
 */
final class Qcow2Creator {
    private static final int HEADER_BYTES = 112;
    private static final String[][] FEATURES = {
        {"0", "0", "dirty bit"}, {"0", "1", "corrupt bit"}, {"0", "2", "external data file"},
        {"0", "3", "compression type"}, {"0", "4", "extended L2 entries"}, {"1", "0", "lazy refcounts"},
        {"2", "0", "bitmaps"}, {"2", "1", "raw external data"},
    };

    private Qcow2Creator() {
    }

    /**
     * Creates {@code path} (which must not exist).
     *
     * @param sizeBytes     virtual size, rounded up to 512 bytes as qemu-img does
     * @param clusterBits   9 (512 bytes) to 21 (2 MiB); QEMU's default is 16
     * @param backingName   the backing file name to record (relative names are relative to {@code path}'s
     *                      directory), or null
     * @param backingFormat its format, recorded in the backing format extension; null without a backing file
     */
    static void create(Path path, long sizeBytes, int clusterBits, String backingName, ImageFormat backingFormat) {
        if (clusterBits < Qcow2Header.MIN_CLUSTER_BITS || clusterBits > Qcow2Header.MAX_CLUSTER_BITS) {
            throw new BlockException(BlockException.Kind.INVALID_REQUEST, "cluster size " + (1L << clusterBits)
                    + " is not valid for a qcow2 image; use a power of two from 512 bytes to 2 MiB");
        }
        long size = (sizeBytes + 511) & ~511L;
        int cs = 1 << clusterBits;
        long l1Entries = (size + (long) cs * (cs / 8) - 1) / ((long) cs * (cs / 8));
        if (size < 0 || size > Qcow2Header.MAX_SIZE_BYTES || l1Entries * 8 > Qcow2Header.MAX_L1_BYTES) {
            throw new BlockException(BlockException.Kind.INVALID_REQUEST, "a qcow2 image of " + sizeBytes + " bytes "
                    + "with " + cs + "-byte clusters is too large; use larger clusters or a smaller size");
        }
        ByteBuffer header = header(size, clusterBits, l1Entries, backingName, backingFormat, path);
        ImageFile f = ImageFile.createNew(path);
        boolean done = false;
        try {
            if (!f.fitsSize(size)) {
                throw new BlockException(BlockException.Kind.INVALID_REQUEST, "cannot create " + path + ": its file "
                        + "system allows files of at most " + f.maxFileSize() + " bytes, less than the virtual size "
                        + size + "; choose another file system or a smaller size");
            }
            writeLayout(f, header, clusterBits, l1Entries);
            f.flush();
            done = true;
        } finally {
            f.close();
            if (!done) {
                try {
                    Files.deleteIfExists(path);
                } catch (java.io.IOException e) {
                    // the first failure is what the caller needs to see
                }
            }
        }
    }

    /** Cluster 0: the header fields; the table offsets are filled in by {@link #writeLayout}. */
    private static ByteBuffer header(long size, int clusterBits, long l1Entries, String backingName,
                                     ImageFormat backingFormat, Path path) {
        int cs = 1 << clusterBits;
        byte[] name = backingName == null ? new byte[0] : backingName.getBytes(StandardCharsets.UTF_8);
        byte[] fmt = backingFormat == null ? new byte[0] : backingFormat.spelling().getBytes(StandardCharsets.UTF_8);
        int fmtExt = backingName == null ? 0 : 8 + pad8(fmt.length);
        int featExt = 8 + pad8(FEATURES.length * Qcow2Header.FEATURE_NAME_ENTRY);
        boolean withNames = HEADER_BYTES + fmtExt + featExt + 8 + name.length <= cs;
        int used = HEADER_BYTES + fmtExt + (withNames ? featExt : 0) + 8;
        if (name.length > Qcow2Header.MAX_BACKING_NAME || used + name.length > cs) {
            throw new BlockException(BlockException.Kind.INVALID_REQUEST, "the backing file name of " + path + " ("
                    + name.length + " bytes) does not fit in its header cluster; use a shorter (relative) name or "
                    + "larger clusters");
        }
        ByteBuffer b = ByteBuffer.allocate(cs);
        b.putInt(0, ImageFormat.QCOW2_MAGIC).putInt(4, 3).putInt(20, clusterBits).putLong(24, size);
        b.putInt(36, (int) l1Entries).putInt(96, 4).putInt(100, HEADER_BYTES);
        b.position(HEADER_BYTES);
        if (backingName != null) {
            b.putInt(Qcow2Header.EXT_BACKING_FORMAT).putInt(fmt.length).put(fmt);
            b.position(b.position() + pad8(fmt.length) - fmt.length);
        }
        if (withNames) {
            b.putInt(Qcow2Header.EXT_FEATURE_NAMES).putInt(FEATURES.length * Qcow2Header.FEATURE_NAME_ENTRY);
            for (String[] f : FEATURES) {
                int at = b.position();
                b.put((byte) Integer.parseInt(f[0])).put((byte) Integer.parseInt(f[1]));
                b.put(f[2].getBytes(StandardCharsets.US_ASCII));
                b.position(at + Qcow2Header.FEATURE_NAME_ENTRY);
            }
        }
        b.putInt(Qcow2Header.EXT_END).putInt(0);
        if (backingName != null) {
            b.putLong(8, b.position()).putInt(16, name.length);
            b.put(name);
        }
        return b.clear();
    }

    private static int pad8(int n) {
        return (n + 7) & ~7;
    }

    /** Header, refcount table, refcount blocks, L1 table, each counted once. */
    private static void writeLayout(ImageFile f, ByteBuffer header, int clusterBits, long l1Entries) {
        int cs = 1 << clusterBits;
        int perBlock = cs * 8 / 16;
        long l1Clusters = Math.max(1, (l1Entries * 8 + cs - 1) / cs);
        long rtClusters = 1;
        long blocks = 1;
        while (true) {
            long total = 1 + rtClusters + blocks + l1Clusters;
            long needBlocks = (total + perBlock - 1) / perBlock;
            long needRt = (needBlocks * 8 + cs - 1) / cs;
            if (needBlocks == blocks && needRt == rtClusters) {
                break;
            }
            blocks = needBlocks;
            rtClusters = needRt;
        }
        long rtOffset = (long) cs;
        long blocksOffset = rtOffset + rtClusters * cs;
        long l1Offset = blocksOffset + blocks * cs;
        long total = 1 + rtClusters + blocks + l1Clusters;
        header.putLong(40, l1Offset).putLong(48, rtOffset).putInt(56, (int) rtClusters);
        f.write(0, header);
        ByteBuffer rt = ByteBuffer.allocate((int) (rtClusters * cs));
        for (int i = 0; i < blocks; i++) {
            rt.putLong(i * 8, blocksOffset + (long) i * cs);
        }
        f.write(rtOffset, rt);
        byte[] blk = new byte[cs];
        for (long i = 0; i < blocks; i++) {
            java.util.Arrays.fill(blk, (byte) 0);
            for (int s = 0; s < perBlock; s++) {
                if (i * perBlock + s < total) {
                    Qcow2Refcounts.put(blk, s, 4, 1);
                }
            }
            f.write(blocksOffset + i * cs, ByteBuffer.wrap(blk));
        }
        f.write(l1Offset, ByteBuffer.allocate((int) (l1Clusters * cs)));
    }
}
