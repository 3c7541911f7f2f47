package org.jkvm.block;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The qcow2 header (QEMU's docs/interop/qcow2.txt), read from the first cluster of the file and checked, with every
 * size capped before anything is allocated for it. Big-endian throughout:
 * <pre>
 *   0 magic "QFI\xfb"      4 version (2, 3)        8 backing_file_offset   16 backing_file_size
 *  20 cluster_bits          24 size (virtual)      32 crypt_method          36 l1_size (entries)
 *  40 l1_table_offset       48 refcount_table_offset                        56 refcount_table_clusters
 *  60 nb_snapshots          64 snapshots_offset
 *  version 3 only:
 *  72 incompatible_features 80 compatible_features 88 autoclear_features    96 refcount_order
 * 100 header_length        104 compression_type (if header_length > 104)
 *  then header extensions (u32 type, u32 length, data padded to 8) up to type 0; the backing file name
 * </pre>
 *
 * @param version           2 or 3
 * @param clusterBits       9 to 21
 * @param sizeBytes         virtual disk size
 * @param l1Size            L1 entries
 * @param l1Offset          file offset of the L1 table
 * @param refcountTableOffset   file offset of the refcount table
 * @param refcountTableClusters its length in clusters
 * @param snapshots         internal snapshots (jkvm reads the active state; it does not write such images)
 * @param incompatible      incompatible feature bits (v3)
 * @param compatible        compatible feature bits (v3)
 * @param autoclear         autoclear feature bits (v3)
 * @param refcountOrder     refcount width is {@code 1 << refcountOrder} bits (v2: 4)
 * @param headerLength      bytes of the fixed header (v2: 72)
 * @param backingFile       the backing file name as stored, or null
 * @param backingFormat     the backing format name from its extension, or null
 * @param featureNames      names from the feature name table, keyed "type:bit" (type 0 incompatible, 1, 2)
 */
record Qcow2Header(int version, int clusterBits, long sizeBytes, int l1Size, long l1Offset,
                   long refcountTableOffset, int refcountTableClusters, int snapshots, long incompatible,
                   long compatible, long autoclear, int refcountOrder, int headerLength, String backingFile,
                   String backingFormat, Map<String, String> featureNames) {
    static final int V2_HEADER_BYTES = 72;
    static final int V3_HEADER_BYTES = 104;
    static final int MIN_CLUSTER_BITS = 9;
    static final int MAX_CLUSTER_BITS = 21;
    /** Caps, as QEMU's: a 32 MiB L1 table, an 8 MiB refcount table, 1023-byte backing names. */
    static final long MAX_L1_BYTES = 32L << 20;
    static final long MAX_REFCOUNT_TABLE_BYTES = 8L << 20;
    static final int MAX_BACKING_NAME = 1023;
    /** Host offsets in table entries have bits 9-55: no virtual disk beyond 2^56 bytes makes sense. */
    static final long MAX_SIZE_BYTES = 1L << 56;
    static final int MAX_SNAPSHOTS = 65536;

    static final long INCOMPAT_DIRTY = 1;
    static final long INCOMPAT_CORRUPT = 2;
    static final long INCOMPAT_DATA_FILE = 4;
    static final long INCOMPAT_COMPRESSION = 8;
    static final long INCOMPAT_EXTL2 = 16;
    static final long INCOMPAT_KNOWN = INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_COMPRESSION;

    static final int EXT_END = 0;
    static final int EXT_BACKING_FORMAT = 0xe2792aca;
    static final int EXT_FEATURE_NAMES = 0x6803f857;
    static final int FEATURE_NAME_ENTRY = 48;

    int clusterSize() {
        return 1 << clusterBits;
    }

    /** Entries per L2 table (8 bytes each). */
    int l2Entries() {
        return clusterSize() / 8;
    }

    /** Field offsets of the writable parts of the header. */
    static final int OFF_REFCOUNT_TABLE = 48;
    static final int OFF_AUTOCLEAR = 88;

    /**
     * Reads and checks the header.
     *
     * @param first    the first {@code min(4096, file size)} bytes; the rest of cluster 0 is read through
     *                 {@code file} when the header says it is larger
     * @param fileSize the file's size, to check that tables lie inside it
     */
    static Qcow2Header parse(Path path, ImageFile file, long fileSize) {
        Corrupt c = new Corrupt(path);
        if (fileSize < V2_HEADER_BYTES) {
            throw c.truncated("it is " + fileSize + " bytes long, shorter than a qcow2 header (72 bytes)");
        }
        ByteBuffer head = ByteBuffer.allocate(V3_HEADER_BYTES);
        file.read(0, head);
        head.flip();
        if (head.getInt(0) != ImageFormat.QCOW2_MAGIC) {
            throw new BlockException(BlockException.Kind.INVALID_REQUEST, path + " is not a qcow2 image (no "
                    + "QFI\\xfb magic at its start); open it with format=raw, or check the path");
        }
        int version = head.getInt(4);
        if (version != 2 && version != 3) {
            throw new BlockException(BlockException.Kind.UNSUPPORTED, "qcow2 version " + version + " of " + path
                    + " is not supported; jkvm reads versions 2 and 3 (qemu-img amend -o compat=1.1 converts)");
        }
        int clusterBits = head.getInt(20);
        if (clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS) {
            throw c.corrupt("its cluster_bits is " + clusterBits + ", outside 9..21");
        }
        int cs = 1 << clusterBits;
        if (fileSize < Math.min(cs, V3_HEADER_BYTES)) {
            throw c.truncated("it is " + fileSize + " bytes long, shorter than its header");
        }
        ByteBuffer cluster0 = ByteBuffer.allocate((int) Math.min(cs, fileSize));
        file.read(0, cluster0);
        cluster0.flip();
        return parseCluster0(path, cluster0, version, clusterBits, fileSize, c);
    }

    private static Qcow2Header parseCluster0(Path path, ByteBuffer b, int version, int clusterBits, long fileSize,
                                             Corrupt c) {
        int cs = 1 << clusterBits;
        long backingOffset = b.getLong(8);
        int backingSize = b.getInt(16);
        long size = b.getLong(24);
        if (b.getInt(32) != 0) {
            throw new BlockException(BlockException.Kind.UNSUPPORTED, path + " is an encrypted qcow2 image, which "
                    + "jkvm does not open; decrypt it with qemu-img convert first");
        }
        int l1Size = b.getInt(36);
        long l1Offset = b.getLong(40);
        long rtOffset = b.getLong(48);
        int rtClusters = b.getInt(56);
        int snapshots = b.getInt(60);
        long incompatible = 0;
        long compatible = 0;
        long autoclear = 0;
        int refcountOrder = 4;
        int headerLength = V2_HEADER_BYTES;
        if (version == 3) {
            incompatible = b.getLong(72);
            compatible = b.getLong(80);
            autoclear = b.getLong(88);
            refcountOrder = b.getInt(96);
            headerLength = b.getInt(100);
            if (headerLength < V3_HEADER_BYTES || headerLength > b.limit() || headerLength % 8 != 0) {
                throw c.corrupt("its header_length is " + headerLength + " (a multiple of 8 from 104 to the "
                        + "cluster size is needed)");
            }
            if (headerLength > V3_HEADER_BYTES && (b.get(V3_HEADER_BYTES) & 0xff) != 0) {
                throw new BlockException(BlockException.Kind.UNSUPPORTED, path + " uses compression type "
                        + (b.get(V3_HEADER_BYTES) & 0xff) + " (zstd); jkvm reads deflate only, convert it with "
                        + "qemu-img convert -O qcow2 -o compression_type=zlib");
            }
        }
        if (refcountOrder > 6) {
            throw c.corrupt("its refcount_order is " + refcountOrder + ", above 6");
        }
        if (size < 0 || size > MAX_SIZE_BYTES) {
            throw c.corrupt("its virtual size " + size + " is beyond 2^56 bytes");
        }
        checkTables(c, cs, fileSize, size, l1Size, l1Offset, rtOffset, rtClusters);
        if (snapshots < 0 || snapshots > MAX_SNAPSHOTS) {
            throw c.corrupt("it claims " + Integer.toUnsignedString(snapshots) + " snapshots");
        }
        Extensions ext = extensions(c, b, headerLength);
        String backing = backingName(c, b, backingOffset, backingSize);
        return new Qcow2Header(version, clusterBits, size, l1Size, l1Offset, rtOffset, rtClusters, snapshots,
                incompatible, compatible, autoclear, refcountOrder, headerLength, backing, ext.backingFormat(),
                ext.featureNames());
    }

    private static void checkTables(Corrupt c, int cs, long fileSize, long size, int l1Size, long l1Offset,
                                    long rtOffset, int rtClusters) {
        long l2Coverage = (long) cs * (cs / 8);
        long l1Needed = (size + l2Coverage - 1) / l2Coverage;
        if (l1Size < 0 || (long) l1Size * 8 > MAX_L1_BYTES) {
            throw c.corrupt("its L1 table has " + Integer.toUnsignedString(l1Size) + " entries, beyond the 32 MiB cap");
        }
        if (l1Size < l1Needed) {
            throw c.corrupt("its L1 table has " + l1Size + " entries, too few for its virtual size " + size
                    + " (" + l1Needed + " needed)");
        }
        if ((l1Offset & (cs - 1)) != 0 || l1Offset < 0 || (l1Size > 0 && l1Offset == 0)) {
            throw c.corrupt("its L1 table offset 0x" + Long.toHexString(l1Offset) + " is not a cluster boundary");
        }
        if (l1Offset + (long) l1Size * 8 > fileSize) {
            throw c.truncated("its L1 table at 0x" + Long.toHexString(l1Offset) + " (" + l1Size * 8L
                    + " bytes) ends past the end of the file (" + fileSize + " bytes)");
        }
        if (rtClusters <= 0 || (long) rtClusters * cs > MAX_REFCOUNT_TABLE_BYTES) {
            throw c.corrupt("its refcount table has " + Integer.toUnsignedString(rtClusters)
                    + " clusters (1 to 8 MiB worth is valid)");
        }
        if ((rtOffset & (cs - 1)) != 0 || rtOffset <= 0) {
            throw c.corrupt("its refcount table offset 0x" + Long.toHexString(rtOffset) + " is not a cluster "
                    + "boundary after the header");
        }
        if (rtOffset + (long) rtClusters * cs > fileSize + cs) {
            // QEMU writes the last table cluster only as far as it holds entries, hence one cluster of slack.
            throw c.truncated("its refcount table at 0x" + Long.toHexString(rtOffset) + " ends past the end of "
                    + "the file (" + fileSize + " bytes)");
        }
    }

    /** What the header extensions say: the backing format (or null) and the feature names. */
    private record Extensions(String backingFormat, Map<String, String> featureNames) {
    }

    private static Extensions extensions(Corrupt c, ByteBuffer b, int start) {
        String format = null;
        Map<String, String> names = new TreeMap<>();
        int pos = start;
        while (true) {
            if (pos + 8 > b.limit()) {
                if (start == V2_HEADER_BYTES && pos == start) {
                    break; // a version 2 header without extensions may end the file's first cluster
                }
                throw c.corrupt("its header extensions run past the first cluster");
            }
            int type = b.getInt(pos);
            int len = b.getInt(pos + 4);
            if (type == EXT_END) {
                break;
            }
            if (len < 0 || pos + 8L + len > b.limit()) {
                throw c.corrupt("header extension 0x" + Integer.toHexString(type) + " of " + len + " bytes runs past "
                        + "the first cluster");
            }
            if (type == EXT_BACKING_FORMAT) {
                format = string(b, pos + 8, len);
            } else if (type == EXT_FEATURE_NAMES) {
                for (int e = 0; e + FEATURE_NAME_ENTRY <= len; e += FEATURE_NAME_ENTRY) {
                    int at = pos + 8 + e;
                    String name = string(b, at + 2, FEATURE_NAME_ENTRY - 2);
                    int nul = name.indexOf('\0');
                    String key = (b.get(at) & 0xff) + ":" + (b.get(at + 1) & 0xff);
                    names.put(key, nul < 0 ? name : name.substring(0, nul));
                }
            }
            pos += 8 + ((len + 7) & ~7);
        }
        return new Extensions(format, Map.copyOf(names));
    }

    private static String backingName(Corrupt c, ByteBuffer b, long offset, int size) {
        if (offset == 0) {
            return null;
        }
        if (size <= 0 || size > MAX_BACKING_NAME) {
            throw c.corrupt("its backing file name is " + Integer.toUnsignedString(size) + " bytes long (1 to 1023 "
                    + "is valid)");
        }
        if (offset < 0 || offset + size > b.limit()) {
            throw c.corrupt("its backing file name at " + offset + " lies outside the first cluster");
        }
        return string(b, (int) offset, size);
    }

    private static String string(ByteBuffer b, int at, int len) {
        byte[] bytes = new byte[len];
        b.get(at, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** The name of an incompatible feature bit, from the image's own table when it has one. */
    String incompatibleName(int bit) {
        String n = featureNames.get("0:" + bit);
        return n != null ? n : "incompatible feature bit " + bit;
    }

    /** Builds the sentences for a damaged image, naming it and what to do. */
    record Corrupt(Path path) {
        BlockException corrupt(String what) {
            return new BlockException(BlockException.Kind.CORRUPT, "qcow2 image " + path + " is corrupt: " + what
                    + "; nothing was written to it, restore it from a copy (qemu-img check " + path + " shows more)");
        }

        BlockException truncated(String what) {
            return new BlockException(BlockException.Kind.CORRUPT, "qcow2 image " + path + " is truncated: " + what
                    + "; nothing was written to it, copy the complete file again or restore it");
        }
    }
}
