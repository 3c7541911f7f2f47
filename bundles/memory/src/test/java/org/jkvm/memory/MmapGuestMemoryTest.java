package org.jkvm.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class MmapGuestMemoryTest {
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;

    @Test
    void smallRamIsOneSlotAtZero() {
        try (MmapGuestMemory mem = MmapGuestMemory.allocate(16 * MIB)) {
            assertEquals(1, mem.regions().size());
            MemoryRegion r = mem.regions().get(0);
            assertEquals(0, r.slot());
            assertEquals(0, r.gpa());
            assertEquals(16 * MIB, r.sizeBytes());
            assertEquals(0, r.hva() & 4095, "page-aligned host address");
            assertEquals(16 * MIB / 4096, r.vmmDirty().pages());
            assertEquals(16 * MIB, mem.totalBytes());
        }
    }

    @Test
    void writeReadRoundTripMarksExactlyTheWrittenPages() {
        try (MmapGuestMemory mem = MmapGuestMemory.allocate(16 * MIB)) {
            byte[] data = new byte[5000];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 7);
            }
            mem.write(0x3ff0, ByteBuffer.wrap(data)); // pages 3, 4 and 5
            ByteBuffer back = ByteBuffer.allocate(data.length);
            mem.read(0x3ff0, back);
            assertFalse(back.hasRemaining());
            assertArrayEquals(data, back.array());

            DirtyBitmap dirty = mem.regionFor(0).vmmDirty();
            assertEquals(3, dirty.count());
            assertTrue(dirty.isDirty(3) && dirty.isDirty(4) && dirty.isDirty(5));
        }
    }

    @Test
    void fresh_memory_is_zero_and_views_do_not_mark() {
        try (MmapGuestMemory mem = MmapGuestMemory.allocate(16 * MIB)) {
            MemoryRegion r = mem.regions().get(0);
            ByteBuffer view = r.view(8 * MIB, 4096);
            assertEquals(ByteOrder.LITTLE_ENDIAN, view.order());
            assertEquals(0L, view.getLong(0));
            view.putInt(0, 0x11223344);
            assertEquals(0, r.vmmDirty().count(), "views are for loading and migration and do not mark");
            assertEquals(0x11223344, mem.readIntLE(8 * MIB));
            assertEquals(0x44, mem.readByte(8 * MIB), "little-endian in guest memory");
        }
    }

    @Test
    void scalarAccessorsAreLittleEndianAndMark() {
        try (MmapGuestMemory mem = MmapGuestMemory.allocate(16 * MIB)) {
            mem.writeLongLE(0x10000, 0x0102030405060708L);
            assertEquals(0x08, mem.readByte(0x10000));
            assertEquals(0x0708, mem.readShortLE(0x10000));
            assertEquals(0x05060708, mem.readIntLE(0x10000));
            assertEquals(0x0102030405060708L, mem.readLongLE(0x10000));
            mem.writeIntLE(0x20ffe, 0xaabbccdd); // straddles pages 0x20 and 0x21
            assertEquals(0xaabbccdd, mem.readIntLE(0x20ffe));
            mem.writeShortLE(0x30000, (short) 0x1234);
            mem.writeByte(0x40000, (byte) 1);
            DirtyBitmap d = mem.regions().get(0).vmmDirty();
            assertEquals(5, d.count());
            for (long p : new long[] {0x10, 0x20, 0x21, 0x30, 0x40}) {
                assertTrue(d.isDirty(p), "page 0x" + Long.toHexString(p));
            }
        }
    }

    @Test
    void ramAboveThreeGibStartsAtFourGib() {
        try (MmapGuestMemory mem = MmapGuestMemory.allocate(5 * GIB)) {
            assertEquals(2, mem.regions().size());
            MemoryRegion low = mem.regions().get(0);
            MemoryRegion high = mem.regions().get(1);
            assertEquals(0, low.slot());
            assertEquals(3 * GIB, low.sizeBytes());
            assertEquals(1, high.slot());
            assertEquals(4 * GIB, high.gpa());
            assertEquals(2 * GIB, high.sizeBytes());
            assertEquals(5 * GIB, mem.totalBytes());

            mem.writeLongLE(4 * GIB + 123, 42L);
            assertEquals(42L, mem.readLongLE(4 * GIB + 123));
            assertEquals(1, high.vmmDirty().count());
            assertEquals(0, low.vmmDirty().count());

            // Across the 1 GiB window boundary inside the low region, and at its very end.
            byte[] across = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
            mem.write(GIB - 8, ByteBuffer.wrap(across));
            ByteBuffer back = ByteBuffer.allocate(16);
            mem.read(GIB - 8, back);
            assertArrayEquals(across, back.array());
            mem.writeLongLE(GIB - 4, -1L);
            assertEquals(-1L, mem.readLongLE(GIB - 4));
            mem.writeLongLE(3 * GIB - 8, 7L);
            assertEquals(7L, mem.readLongLE(3 * GIB - 8));

            GuestMemoryException hole = assertThrows(GuestMemoryException.class, () -> mem.readLongLE(3 * GIB));
            assertEquals("guest address 0xc0000000 is not in RAM", hole.getMessage());
            GuestMemoryException end = assertThrows(GuestMemoryException.class,
                    () -> mem.write(3 * GIB - 4, ByteBuffer.allocate(8)));
            assertTrue(end.getMessage().contains("0xbffffffc+8"), end.getMessage());
        }
    }

    @Test
    void fourGibFitsInTheLowSlotPlusOne() {
        try (MmapGuestMemory mem = MmapGuestMemory.allocate(4 * GIB)) {
            assertEquals(2, mem.regions().size());
            assertEquals(GIB, mem.regions().get(1).sizeBytes());
        }
    }

    @Test
    void badSizesAreRejectedWithTheSize() {
        GuestMemoryException e = assertThrows(GuestMemoryException.class, () -> MmapGuestMemory.allocate(1000));
        assertTrue(e.getMessage().startsWith("guest RAM size 1000 bytes is invalid"), e.getMessage());
        assertThrows(GuestMemoryException.class, () -> MmapGuestMemory.allocate(0));
        assertThrows(GuestMemoryException.class, () -> MmapGuestMemory.allocate(-4096));
    }

    @Test
    void viewsOutsideTheRegionAreRejected() {
        try (MmapGuestMemory mem = MmapGuestMemory.allocate(16 * MIB)) {
            MemoryRegion r = mem.regions().get(0);
            assertThrows(GuestMemoryException.class, () -> r.view(16 * MIB - 10, 11));
            assertThrows(GuestMemoryException.class, () -> r.view(-1, 1));
            assertEquals(10, r.view(16 * MIB - 10, 10).capacity());
        }
    }

    @Test
    void closeUnmapsAndLaterAccessFailsCleanly() throws IOException {
        MmapGuestMemory mem = MmapGuestMemory.allocate(64 * MIB);
        long hva = mem.regions().get(0).hva();
        assertTrue(mapped(hva), "the RAM is mapped");
        mem.writeLongLE(0, 1L);
        mem.close();
        mem.close(); // idempotent
        assertFalse(mapped(hva), "the mapping is released");
        GuestMemoryException e = assertThrows(GuestMemoryException.class, () -> mem.readLongLE(0));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    /** Whether /proc/self/maps has a mapping starting at {@code hva}. */
    private static boolean mapped(long hva) throws IOException {
        try (var lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.anyMatch(l -> l.startsWith(Long.toHexString(hva) + "-"));
        }
    }
}
