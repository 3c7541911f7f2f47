package org.jkvm.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.jkvm.memory.MmapRegion.Backing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link MemoryRegion#populated()} on {@link MmapGuestMemory}: which pages may hold data, found without reading
 * guest RAM. Also pins down the kernel facts the design relies on, on this machine (shmem read faults allocate;
 * MADV_DONTNEED keeps shared data; a punched page is gone and reads zero; mincore sees page-cache pages only).
 */
class PopulatedPagesTest {
    private static final Backing MEMFD = Backing.MEMFD;
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;
    private static final int PAGE = GuestMemory.PAGE_SIZE;

    @ParameterizedTest
    @EnumSource(value = Backing.class, names = {"PRIVATE", "MEMFD"})
    void freshRamHasNoPopulatedPage(Backing backing) {
        try (MmapGuestMemory mem = MmapGuestMemory.allocate(64 * MIB, backing)) {
            MmapRegion r = (MmapRegion) mem.regions().get(0);
            assertEquals(backing == MEMFD, r.fd() >= 0, "a memfd exactly for the memfd backing");
            DirtyBitmap p = r.populated();
            assertEquals(r.pages(), p.pages());
            assertEquals(0, p.count(), "never-touched RAM has no pages");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Backing.class, names = {"PRIVATE", "MEMFD"})
    void everyKindOfWriteIsReportedExactly(Backing backing) {
        try (MmapGuestMemory mem = MmapGuestMemory.allocate(5 * GIB, backing)) {
            mem.write(0x3ff0, ByteBuffer.wrap(new byte[5000])); // pages 3, 4, 5 (zero bytes, but written)
            mem.writeLongLE(0x10000, 1L); // page 0x10
            mem.regions().get(0).view(8 * MIB, PAGE).put(100, (byte) 7); // page 0x800, through a view
            mem.writeLongLE(GIB - 4, -1L); // pages either side of the 1 GiB window boundary
            mem.writeByte(3 * GIB - 1, (byte) 1); // the last page of slot 0
            mem.writeIntLE(4 * GIB + 5 * PAGE, 9); // page 5 of slot 1
            List<Long> low = pagesOf(mem.regions().get(0).populated());
            assertEquals(List.of(3L, 4L, 5L, 0x10L, 0x800L, GIB / PAGE - 1, GIB / PAGE, 3 * GIB / PAGE - 1), low);
            assertEquals(List.of(5L), pagesOf(mem.regions().get(1).populated()));
        }
    }

    /** The cost memfd's round 0 avoids: reading a never-written page of shared memory allocates it (it reads zero). */
    @Test
    void readingAFreshPageAllocatesIt() {
        try (MmapGuestMemory mem = MmapGuestMemory.allocate(16 * MIB, MEMFD)) {
            assertEquals(0L, mem.readLongLE(7 * PAGE));
            assertEquals(List.of(7L), pagesOf(mem.regions().get(0).populated()));
        }
    }

    @Test
    void dontneedKeepsSharedDataAndPunchedPagesReadZero() {
        try (MmapGuestMemory mem = MmapGuestMemory.allocate(16 * MIB, MEMFD)) {
            MmapRegion r = (MmapRegion) mem.regions().get(0);
            mem.writeLongLE(2 * PAGE, 0x1234L);
            mem.writeLongLE(9 * PAGE, 0x5678L);
            assertEquals(0, LibcProbe.madvise(r.hva(), 16 * MIB, LibcProbe.MADV_DONTNEED));
            assertEquals(List.of(2L, 9L), pagesOf(r.populated()), "DONTNEED only unmaps shared pages");
            assertEquals(0x1234L, mem.readLongLE(2 * PAGE), "and their data survives");

            assertEquals(0, LibcProbe.fallocate(r.fd(), LibcProbe.FALLOC_FL_PUNCH_HOLE
                    | LibcProbe.FALLOC_FL_KEEP_SIZE, 2 * PAGE, PAGE));
            assertEquals(0, LibcProbe.madvise(r.hva() + 9 * PAGE, PAGE, LibcProbe.MADV_REMOVE));
            assertEquals(List.of(), pagesOf(r.populated()), "punched and removed pages are holes");
            assertEquals(0L, mem.readLongLE(2 * PAGE));
            assertEquals(0L, mem.readLongLE(9 * PAGE));
        }
    }

    /**
     * mincore on the same mapping agrees while nothing is swapped: fresh pages are not resident, written ones are,
     * DONTNEED leaves them, REMOVE drops them. It is not used because a swapped-out page (data!) is not resident.
     */
    @Test
    void mincoreSeesOnlyPageCachePages() {
        try (MmapGuestMemory mem = MmapGuestMemory.allocate(16 * MIB, MEMFD)) {
            long hva = mem.regions().get(0).hva();
            assertFalse(LibcProbe.resident(hva, 3));
            mem.writeByte(3 * PAGE, (byte) 1);
            assertTrue(LibcProbe.resident(hva, 3));
            assertEquals(0, LibcProbe.madvise(hva, 16 * MIB, LibcProbe.MADV_DONTNEED));
            assertTrue(LibcProbe.resident(hva, 3), "the page stays in the page cache");
            assertEquals(0, LibcProbe.madvise(hva + 3 * PAGE, PAGE, LibcProbe.MADV_REMOVE));
            assertFalse(LibcProbe.resident(hva, 3));
        }
    }

    @Test
    void aClosedRegionRefusesAndReleasesItsDescriptor() throws Exception {
        MmapGuestMemory mem = MmapGuestMemory.allocate(16 * MIB, MEMFD);
        MmapRegion r = (MmapRegion) mem.regions().get(0);
        java.nio.file.Path fd = java.nio.file.Path.of("/proc/self/fd/" + r.fd());
        assertTrue(java.nio.file.Files.readSymbolicLink(fd).toString().contains("memfd:jkvm-guest-ram-slot0"));
        String flags = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/fdinfo/" + r.fd())).stream()
                .filter(l -> l.startsWith("flags:")).findFirst().orElseThrow().replaceAll("[^0-7]", "");
        assertTrue((Long.parseLong(flags, 8) & 02000000) != 0, "O_CLOEXEC: exec'd commands never inherit guest RAM");
        mem.close();
        assertFalse(java.nio.file.Files.exists(fd, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                && java.nio.file.Files.readSymbolicLink(fd).toString().contains("jkvm-guest-ram"), "memfd closed");
        GuestMemoryException e = assertThrows(GuestMemoryException.class, r::populated);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    /** The default backing is private memory: no descriptor, and a child process does not get the range. */
    @Test
    void guestRamIsPrivateByDefaultAndNotForked() throws Exception {
        try (MmapGuestMemory mem = MmapGuestMemory.allocate(16 * MIB)) {
            MmapRegion r = (MmapRegion) mem.regions().get(0);
            assertEquals(-1, r.fd());
            String start = Long.toHexString(r.hva());
            List<String> smaps = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/smaps"));
            int at = -1;
            for (int i = 0; i < smaps.size(); i++) {
                if (smaps.get(i).startsWith(start + "-")) {
                    at = i;
                }
            }
            assertTrue(at >= 0, "the mapping is listed");
            assertTrue(smaps.get(at).split("\\s+")[1].endsWith("p"), "private: " + smaps.get(at));
            String vmFlags = smaps.subList(at, smaps.size()).stream().filter(l -> l.startsWith("VmFlags:"))
                    .findFirst().orElseThrow();
            assertTrue(vmFlags.contains(" dc"), "MADV_DONTFORK (dc): " + vmFlags);
        }
    }

    /**
     * Private memory: MADV_DONTNEED discards a written page (it reads zero and is no longer populated), which is
     * what pagemap reports; a page that is then read maps the shared zero page (no allocation), which pagemap
     * shows as present, so it counts as populated: harmless, round 0 reads it and sends a zero page.
     */
    @Test
    void privateMemoryFollowsPagemap() {
        try (MmapGuestMemory mem = MmapGuestMemory.allocate(16 * MIB, Backing.PRIVATE)) {
            MmapRegion r = (MmapRegion) mem.regions().get(0);
            mem.writeLongLE(2 * PAGE, 0x1234L);
            mem.writeLongLE(9 * PAGE, 0x5678L);
            assertEquals(List.of(2L, 9L), pagesOf(r.populated()));
            assertEquals(0, LibcProbe.madvise(r.hva() + 2 * PAGE, PAGE, LibcProbe.MADV_DONTNEED));
            assertEquals(List.of(9L), pagesOf(r.populated()), "a discarded page is not populated");
            assertEquals(0L, mem.readLongLE(2 * PAGE), "and reads zero");
            // Reading it mapped the shared zero page: present to pagemap, so it counts (correct, it reads zero).
            assertEquals(List.of(2L, 9L), pagesOf(r.populated()));
            assertEquals(0x5678L, mem.readLongLE(9 * PAGE));
            assertTrue(r.preallocate(32L * PAGE, 4L * PAGE));
            assertEquals(List.of(2L, 9L, 32L, 33L, 34L, 35L), pagesOf(r.populated()), "preallocated pages count");
            assertEquals(0L, mem.readLongLE(33L * PAGE));
            assertEquals(0x5678L, mem.readLongLE(9 * PAGE), "preallocation kept the data");
        }
    }

    @Test
    void anUnknownBackingIsRefusedByName() {
        System.setProperty("jkvm.memory.backing", "hugetlb");
        try {
            GuestMemoryException e = assertThrows(GuestMemoryException.class, Backing::configured);
            assertTrue(e.getMessage().contains("hugetlb") && e.getMessage().contains("private or memfd"),
                    e.getMessage());
        } finally {
            System.clearProperty("jkvm.memory.backing");
        }
    }

    @Test
    void theAnonymousFallbackWorksAndReportsEveryPage() {
        MmapRegion r = new MmapRegion(0, 0, 1 * MIB, false);
        try {
            assertEquals(-1, r.fd());
            r.view(5 * PAGE, 8).putLong(0, 77L);
            assertEquals(77L, r.view(5 * PAGE, 8).getLong(0));
            assertEquals(256, r.populated().count(), "without a memfd every page may hold data");
        } finally {
            r.unmap();
        }
    }

    @Test
    void theDefaultSaysEveryPageMayHoldData() {
        MemoryRegion fake = new MemoryRegion() {
            public int slot() {
                return 0;
            }

            public long gpa() {
                return 0;
            }

            public long sizeBytes() {
                return 130 * PAGE;
            }

            public long hva() {
                return 0;
            }

            public ByteBuffer view(long offset, int length) {
                throw new UnsupportedOperationException();
            }

            public DirtyBitmap vmmDirty() {
                throw new UnsupportedOperationException();
            }
        };
        assertEquals(130, fake.populated().count());
    }

    private static List<Long> pagesOf(DirtyBitmap b) {
        List<Long> pages = new ArrayList<>();
        for (long p = 0; p < b.pages(); p++) {
            if (b.isDirty(p)) {
                pages.add(p);
            }
        }
        return pages;
    }
}
