package org.jkvm.loader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.memory.DirtyBitmap;
import org.jkvm.memory.GuestMemory;
import org.jkvm.memory.MemoryRegion;

/** Guest memory on the Java heap for loader tests (no KVM needed); regions of at most 1 GiB. */
final class HeapGuestMemory implements GuestMemory {
    private record Region(int slot, long gpa, ByteBuffer bytes, DirtyBitmap vmmDirty) implements MemoryRegion {
        @Override
        public long sizeBytes() {
            return bytes.capacity();
        }

        @Override
        public long hva() {
            return 0;
        }

        @Override
        public ByteBuffer view(long offset, int length) {
            return bytes.duplicate().position((int) offset).limit((int) offset + length).slice()
                    .order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    private final List<MemoryRegion> regions = new ArrayList<>();

    HeapGuestMemory(long... gpaSizePairs) {
        for (int i = 0; i < gpaSizePairs.length; i += 2) {
            int size = (int) gpaSizePairs[i + 1];
            regions.add(new Region(i / 2, gpaSizePairs[i], ByteBuffer.allocate(size),
                    new DirtyBitmap(size / PAGE_SIZE)));
        }
    }

    @Override
    public List<MemoryRegion> regions() {
        return regions;
    }

    @Override
    public void read(long gpa, ByteBuffer dst) {
        MemoryRegion r = regionFor(gpa);
        dst.put(r.view(gpa - r.gpa(), dst.remaining()));
    }

    @Override
    public void write(long gpa, ByteBuffer src) {
        MemoryRegion r = regionFor(gpa);
        int n = src.remaining();
        r.view(gpa - r.gpa(), n).put(src);
        r.vmmDirty().markRange(gpa - r.gpa(), n);
    }

    long u64(long gpa) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        read(gpa, b);
        return b.getLong(0);
    }

    int u32(long gpa) {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        read(gpa, b);
        return b.getInt(0);
    }

    @Override
    public void close() {
    }
}
