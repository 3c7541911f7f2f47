package org.jkvm.block;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The qcow2 metadata tables (L2 tables, refcount blocks) kept in memory, least recently used first out, keyed by
 * their file offset. The tables are written through to the file whenever they change, so every cached copy is
 * clean and eviction costs nothing. Not thread-safe: the image's metadata lock guards it.
 */
final class TableCache {
    private static final byte[] ZEROS = new byte[64 << 10];
    private final Map<Long, byte[]> tables;

    /** A cache of at most {@code capacity} tables. */
    TableCache(int capacity) {
        this.tables = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, byte[]> eldest) {
                return size() > capacity;
            }
        };
    }

    /** The table at {@code offset}, or null when it is not cached. */
    byte[] get(long offset) {
        return tables.get(offset);
    }

    void put(long offset, byte[] table) {
        tables.put(offset, table);
    }

    void clear() {
        tables.clear();
    }

    /**
     * The first byte at or after {@code from} in {@code t} that is not zero, or {@code t.length} when none is. The
     * scans of whole tables at open (refcount table, L1, L2 checks, free space) mostly cross zeros: one vectorised
     * compare per 64 KiB instead of a loop over every entry, which an engine runs interpreted at its first open
     * (a migration destination's activation inside the downtime included).
     */
    static int nextNonZeroByte(byte[] t, int from) {
        int at = from;
        while (at < t.length) {
            int n = Math.min(ZEROS.length, t.length - at);
            int m = java.util.Arrays.mismatch(t, at, at + n, ZEROS, 0, n);
            if (m >= 0) {
                return at + m;
            }
            at += n;
        }
        return t.length;
    }

    /** The first 8-byte entry at or after entry {@code from} that is not zero, or the number of entries. */
    static int nextNonZeroEntry(byte[] t, int from) {
        return nextNonZeroByte(t, from * 8) / 8;
    }

    /** Writes bytes {@code [from, to)} of a table that lives at {@code tableOffset}, widened to whole sectors. */
    static void writeThrough(ImageFile file, long tableOffset, byte[] table, int from, int to) {
        int align = Math.max(512, file.alignment());
        int start = from & -align;
        int end = Math.min(table.length, (to + align - 1) & -align);
        file.write(tableOffset + start, java.nio.ByteBuffer.wrap(table, start, end - start));
    }
}
