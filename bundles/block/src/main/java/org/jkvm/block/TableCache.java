package org.jkvm.block;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The qcow2 metadata tables (L2 tables, refcount blocks) kept in memory, least recently used first out, keyed by
 * their file offset. The tables are written through to the file whenever they change, so every cached copy is
 * clean and eviction costs nothing. Not thread-safe: the image's metadata lock guards it.
 */
final class TableCache {
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

    /** Writes bytes {@code [from, to)} of a table that lives at {@code tableOffset}, widened to whole sectors. */
    static void writeThrough(ImageFile file, long tableOffset, byte[] table, int from, int to) {
        int align = Math.max(512, file.alignment());
        int start = from & -align;
        int end = Math.min(table.length, (to + align - 1) & -align);
        file.write(tableOffset + start, java.nio.ByteBuffer.wrap(table, start, end - start));
    }
}
