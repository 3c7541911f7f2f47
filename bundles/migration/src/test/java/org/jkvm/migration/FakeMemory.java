package org.jkvm.migration;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.memory.DirtyBitmap;
import org.jkvm.memory.GuestMemory;
import org.jkvm.memory.GuestMemoryException;
import org.jkvm.memory.MemoryRegion;

/**
 * Guest RAM for tests: each region is a direct buffer, or (for big benchmarks) a shared mapping of a sparse file
 * in /dev/shm, so untouched memory costs nothing, like fresh anonymous memory.
 */
final class FakeMemory implements GuestMemory {
    private final List<MemoryRegion> regions = new ArrayList<>();

    /** Regions at the given gpas with the given sizes (each < 2 GiB, a multiple of 4 KiB). */
    FakeMemory(long[] gpas, long[] sizes, boolean mapped) {
        for (int i = 0; i < gpas.length; i++) {
            regions.add(new Region(i, gpas[i], backing(sizes[i], mapped)));
        }
    }

    /** One region at gpa 0. */
    static FakeMemory of(long bytes) {
        return new FakeMemory(new long[] {0}, new long[] {bytes}, false);
    }

    private static ByteBuffer backing(long size, boolean mapped) {
        if (!mapped) {
            return ByteBuffer.allocateDirect((int) size);
        }
        try {
            Path f = Files.createTempFile(Path.of("/dev/shm"), "jkvm-fake-ram", ".bin");
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_WRITE, 0, size);
                Files.delete(f);
                return b;
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot map test RAM in /dev/shm", e);
        }
    }

    @Override
    public List<MemoryRegion> regions() {
        return regions;
    }

    @Override
    public void read(long gpa, ByteBuffer dst) {
        Region r = (Region) regionFor(gpa);
        int off = (int) (gpa - r.gpa);
        dst.put(r.backing.slice(off, dst.remaining()));
    }

    @Override
    public void write(long gpa, ByteBuffer src) {
        Region r = (Region) regionFor(gpa);
        int off = (int) (gpa - r.gpa);
        int len = src.remaining();
        if (off + (long) len > r.sizeBytes()) {
            throw new GuestMemoryException("write of " + len + " bytes at 0x" + Long.toHexString(gpa)
                    + " crosses the end of its region");
        }
        r.backing.put(off, src, src.position(), len);
        src.position(src.position() + len);
        r.dirty.markRange(off, len);
    }

    @Override
    public void close() {
    }

    static final class Region implements MemoryRegion {
        private final int slot;
        private final long gpa;
        final ByteBuffer backing;
        private final DirtyBitmap dirty;
        /** Every {@link #preallocate} call, as {offset, length}. */
        final List<long[]> preallocated = java.util.Collections.synchronizedList(new ArrayList<>());
        /** When set, {@link #preallocate} says no (as a host out of memory would). */
        volatile boolean refusePreallocation;

        Region(int slot, long gpa, ByteBuffer backing) {
            this.slot = slot;
            this.gpa = gpa;
            this.backing = backing;
            this.dirty = new DirtyBitmap(backing.capacity() / PAGE_SIZE);
        }

        @Override
        public int slot() {
            return slot;
        }

        @Override
        public long gpa() {
            return gpa;
        }

        @Override
        public long sizeBytes() {
            return backing.capacity();
        }

        @Override
        public long hva() {
            return 0;
        }

        @Override
        public ByteBuffer view(long offset, int length) {
            return backing.slice((int) offset, length).order(ByteOrder.LITTLE_ENDIAN);
        }

        @Override
        public DirtyBitmap vmmDirty() {
            return dirty;
        }

        /** Records the call; the memory is a buffer, always "allocated". */
        @Override
        public boolean preallocate(long offset, long length) {
            MemoryRegion.super.preallocate(offset, length); // the bounds check
            preallocated.add(new long[] {offset, length});
            return !refusePreallocation;
        }
    }
}
