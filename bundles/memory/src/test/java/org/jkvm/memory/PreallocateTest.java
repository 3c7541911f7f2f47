package org.jkvm.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link MemoryRegion#preallocate}: the range becomes allocated (counted in the memfd's blocks) without changing a
 * byte, also while another thread writes the same pages, for private memory and memfd; bounds and closed regions are
 * refused; anonymous shared regions say no.
 */
class PreallocateTest {
    private static final long MIB = 1L << 20;
    private static final int PAGE = GuestMemory.PAGE_SIZE;

    @Test
    void allocatesTheRangeAndKeepsEveryByte() {
        try (MmapGuestMemory mem = MmapGuestMemory.allocate(64 * MIB, MmapRegion.Backing.MEMFD)) {
            MemoryRegion r = mem.regions().get(0);
            mem.writeLongLE(20L * PAGE + 8, 0x1234_5678_9ABC_DEF0L);
            mem.writeLongLE(40L * PAGE, -1L);
            long before = LibcProbe.allocatedBytes(((MmapRegion) r).fd());
            assertEquals(2L * PAGE, before, "the two written pages");
            assertTrue(r.preallocate(16L * PAGE, 32L * PAGE));
            assertEquals(32L * PAGE, LibcProbe.allocatedBytes(((MmapRegion) r).fd()), "pages 16..47, no more");
            // populated() may or may not count the preallocated pages (fallocated shmem pages are holes to SEEK_DATA
            // until touched; MADV_POPULATE_WRITE touches them), but it keeps the written ones and stays in range.
            DirtyBitmap p = r.populated();
            assertTrue(p.isDirty(20) && p.isDirty(40), "the written pages");
            for (long page = 0; page < p.pages(); page++) {
                assertTrue(!p.isDirty(page) || page >= 16 && page < 48, "page " + page + " is outside the range");
            }
            assertEquals(0x1234_5678_9ABC_DEF0L, mem.readLongLE(20L * PAGE + 8));
            assertEquals(-1L, mem.readLongLE(40L * PAGE));
            assertEquals(0L, mem.readLongLE(30L * PAGE), "a preallocated page reads zero");
            assertTrue(r.preallocate(0, 0), "an empty range is allowed");
        }
    }

    @ParameterizedTest
    @EnumSource(value = MmapRegion.Backing.class, names = {"PRIVATE", "MEMFD"})
    void writesRacingWithPreallocationAllSurvive(MmapRegion.Backing backing) throws Exception {
        try (MmapGuestMemory mem = MmapGuestMemory.allocate(64 * MIB, backing)) {
            MemoryRegion r = mem.regions().get(0);
            long pages = r.pages();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread writer = new Thread(() -> {
                try {
                    for (long page = 0; page < pages; page++) {
                        mem.writeLongLE(page * PAGE + 16, page + 1);
                    }
                } catch (Throwable e) {
                    failed.set(e);
                }
            });
            writer.start();
            for (long off = 0; off < r.sizeBytes(); off += MIB) {
                assertTrue(r.preallocate(off, MIB));
            }
            writer.join();
            assertEquals(null, failed.get());
            for (long page = 0; page < pages; page++) {
                assertEquals(page + 1, mem.readLongLE(page * PAGE + 16), "page " + page);
            }
            assertEquals(pages, r.populated().count(), "every page was written");
        }
    }

    @Test
    void refusesRangesOutsideAndClosedRegions() {
        MmapGuestMemory mem = MmapGuestMemory.allocate(4 * MIB);
        MemoryRegion r = mem.regions().get(0);
        assertThrows(GuestMemoryException.class, () -> r.preallocate(4 * MIB - PAGE, 2L * PAGE));
        assertThrows(GuestMemoryException.class, () -> r.preallocate(-PAGE, PAGE));
        mem.close();
        GuestMemoryException e = assertThrows(GuestMemoryException.class, () -> r.preallocate(0, PAGE));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void anonymousSharedMemorySaysNo() {
        MmapRegion anon = new MmapRegion(0, 0, 4 * MIB, false);
        try {
            assertFalse(anon.preallocate(0, MIB));
            assertEquals(0L, anon.window(0).getLong(0));
        } finally {
            anon.unmap();
        }
        MemoryRegion plain = new MemoryRegion() {
            @Override
            public int slot() {
                return 0;
            }

            @Override
            public long gpa() {
                return 0;
            }

            @Override
            public long sizeBytes() {
                return MIB;
            }

            @Override
            public long hva() {
                return 0;
            }

            @Override
            public java.nio.ByteBuffer view(long offset, int length) {
                throw new UnsupportedOperationException();
            }

            @Override
            public DirtyBitmap vmmDirty() {
                return new DirtyBitmap(pages());
            }
        };
        assertFalse(plain.preallocate(0, MIB), "the default cannot preallocate");
        assertThrows(GuestMemoryException.class, () -> plain.preallocate(0, 2 * MIB));
    }
}
