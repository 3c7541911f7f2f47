package org.jkvm.memory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * How devices, the loader and migration access guest RAM: by guest-physical address (gpa), never through the
 * provider of the mapping (vm-memory's rule). Implementations map RAM outside the Java heap.
 *
 * <p>Every write made through {@link #write} marks the region's VMM dirty bitmap, so migration can send KVM's
 * dirty log OR'ed with the pages the VMM itself wrote. Bulk views ({@link MemoryRegion#view}) do not mark
 * anything: they are for loading images before the guest runs and for migration itself.
 *
 * <p>Thread-safety: reads and writes may run concurrently with the vCPU; the guest sees them as a DMA would.
 */
public interface GuestMemory extends AutoCloseable {
    /** The page size the dirty log and the migration stream use, in bytes. */
    int PAGE_SIZE = 4096;

    /** The RAM regions, ordered by gpa, not overlapping. */
    List<MemoryRegion> regions();

    /** Total RAM in bytes (the sum of the regions). */
    default long totalBytes() {
        long sum = 0;
        for (MemoryRegion r : regions()) {
            sum += r.sizeBytes();
        }
        return sum;
    }

    /**
     * The region that holds {@code gpa}.
     *
     * @throws GuestMemoryException naming the address when no region holds it
     */
    default MemoryRegion regionFor(long gpa) {
        for (MemoryRegion r : regions()) {
            if (gpa >= r.gpa() && gpa - r.gpa() < r.sizeBytes()) {
                return r;
            }
        }
        throw new GuestMemoryException("guest address 0x" + Long.toHexString(gpa) + " is not in RAM");
    }

    /**
     * Copies {@code dst.remaining()} bytes starting at {@code gpa} into {@code dst}; the range must be in one region.
     */
    void read(long gpa, ByteBuffer dst);

    /** Copies {@code src.remaining()} bytes to {@code gpa} and marks the pages in the VMM dirty bitmap. */
    void write(long gpa, ByteBuffer src);

    /** Reads one byte at {@code gpa}. */
    default byte readByte(long gpa) {
        ByteBuffer b = ByteBuffer.allocate(1);
        read(gpa, b);
        return b.get(0);
    }

    /** Writes one byte at {@code gpa} and marks its page in the VMM dirty bitmap. */
    default void writeByte(long gpa, byte value) {
        write(gpa, ByteBuffer.allocate(1).put(0, value));
    }

    /** Reads a little-endian u16 at {@code gpa} (guest byte order); the bytes must be in one region. */
    default short readShortLE(long gpa) {
        ByteBuffer b = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN);
        read(gpa, b);
        return b.getShort(0);
    }

    /** Writes a little-endian u16 at {@code gpa} and marks the pages dirty. */
    default void writeShortLE(long gpa, short value) {
        write(gpa, ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(0, value));
    }

    /** Reads a little-endian u32 at {@code gpa}; the bytes must be in one region. */
    default int readIntLE(long gpa) {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        read(gpa, b);
        return b.getInt(0);
    }

    /** Writes a little-endian u32 at {@code gpa} and marks the pages dirty. */
    default void writeIntLE(long gpa, int value) {
        write(gpa, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value));
    }

    /** Reads a little-endian u64 at {@code gpa}; the bytes must be in one region. */
    default long readLongLE(long gpa) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        read(gpa, b);
        return b.getLong(0);
    }

    /** Writes a little-endian u64 at {@code gpa} and marks the pages dirty. */
    default void writeLongLE(long gpa, long value) {
        write(gpa, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value));
    }

    /** Unmaps the memory. Views taken earlier must not be used afterwards. */
    @Override
    void close();
}
