package org.jkvm.memory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guest RAM in anonymous mappings outside the Java heap (private by default, see {@link MmapRegion}), laid out as on a
 * PC (contracts.md §1): RAM up to 3 GiB is slot 0 at gpa 0; the rest is slot 1 at gpa 4 GiB, leaving the 3-4 GiB hole
 * for MMIO.
 *
 * <p>Mappings use {@code MAP_NORESERVE}: pages cost host memory only once touched. Thread-safe: reads and
 * writes may run concurrently with each other and with the guest. {@link #close()} unmaps; no access may
 * follow it, so close only after the vCPUs and devices have stopped.
 */
public final class MmapGuestMemory implements GuestMemory {
    /** The largest RAM in slot 0 (gpa 0 up to the MMIO hole), in bytes. */
    public static final long LOW_RAM_MAX_BYTES = 3L << 30;
    /** Where RAM above {@link #LOW_RAM_MAX_BYTES} continues. */
    public static final long HIGH_RAM_GPA = 4L << 30;
    /** The largest RAM size accepted, in bytes (a sanity bound, far above what the host has). */
    public static final long MAX_RAM_BYTES = 1L << 40;

    private static final Logger LOG = LoggerFactory.getLogger(MmapGuestMemory.class);

    private final List<MemoryRegion> regions;
    private final MmapRegion[] mmapRegions;
    private final long totalBytes;
    private boolean closed;

    private MmapGuestMemory(List<MmapRegion> list) {
        this.mmapRegions = list.toArray(new MmapRegion[0]);
        this.regions = List.copyOf(list);
        long sum = 0;
        for (MmapRegion r : mmapRegions) {
            sum += r.sizeBytes();
        }
        this.totalBytes = sum;
    }

    /**
     * Maps {@code ramBytes} of zeroed guest RAM in the PC layout.
     *
     * @param ramBytes RAM size, a positive multiple of {@link GuestMemory#PAGE_SIZE}, at most 1 TiB
     * @throws GuestMemoryException naming the size when it is invalid or cannot be mapped
     */
    public static MmapGuestMemory allocate(long ramBytes) {
        return allocate(ramBytes, MmapRegion.Backing.configured());
    }

    /** {@link #allocate(long)} with an explicit backing (tests compare them). */
    static MmapGuestMemory allocate(long ramBytes, MmapRegion.Backing backing) {
        if (ramBytes <= 0 || ramBytes % PAGE_SIZE != 0 || ramBytes > MAX_RAM_BYTES) {
            throw new GuestMemoryException("guest RAM size " + ramBytes + " bytes is invalid; give a positive "
                    + "multiple of " + PAGE_SIZE + " bytes up to " + (MAX_RAM_BYTES >> 30) + " GiB");
        }
        List<MmapRegion> list = new ArrayList<>(2);
        try {
            list.add(new MmapRegion(0, 0, Math.min(ramBytes, LOW_RAM_MAX_BYTES), backing));
            if (ramBytes > LOW_RAM_MAX_BYTES) {
                list.add(new MmapRegion(1, HIGH_RAM_GPA, ramBytes - LOW_RAM_MAX_BYTES, backing));
            }
        } catch (RuntimeException e) {
            list.forEach(MmapRegion::unmap);
            throw e;
        }
        LOG.debug("mapped {} MiB of guest RAM: {}", ramBytes >> 20, list);
        return new MmapGuestMemory(list);
    }

    @Override
    public List<MemoryRegion> regions() {
        return regions;
    }

    @Override
    public long totalBytes() {
        return totalBytes;
    }

    @Override
    public MemoryRegion regionFor(long gpa) {
        return region(gpa);
    }

    private MmapRegion region(long gpa) {
        for (MmapRegion r : mmapRegions) {
            if (gpa >= r.gpa() && gpa - r.gpa() < r.sizeBytes()) {
                return r;
            }
        }
        throw new GuestMemoryException("guest address 0x" + Long.toHexString(gpa) + " is not in RAM");
    }

    @Override
    public void read(long gpa, ByteBuffer dst) {
        MmapRegion r = region(gpa);
        r.copyOut(gpa - r.gpa(), dst, dst.remaining());
    }

    @Override
    public void write(long gpa, ByteBuffer src) {
        MmapRegion r = region(gpa);
        r.copyIn(gpa - r.gpa(), src, src.remaining());
    }

    @Override
    public byte readByte(long gpa) {
        MmapRegion r = region(gpa);
        long off = gpa - r.gpa();
        return r.window(off).get(MmapRegion.inWindow(off));
    }

    @Override
    public void writeByte(long gpa, byte value) {
        MmapRegion r = region(gpa);
        long off = gpa - r.gpa();
        r.window(off).put(MmapRegion.inWindow(off), value);
        r.vmmDirty().mark(off / PAGE_SIZE);
        r.wrote(off, 1);
    }

    @Override
    public short readShortLE(long gpa) {
        MmapRegion r = region(gpa);
        long off = gpa - r.gpa();
        int in = MmapRegion.inWindow(off);
        ByteBuffer w = r.window(off);
        return in <= w.capacity() - 2 ? w.getShort(in) : GuestMemory.super.readShortLE(gpa);
    }

    @Override
    public void writeShortLE(long gpa, short value) {
        MmapRegion r = region(gpa);
        long off = gpa - r.gpa();
        int in = MmapRegion.inWindow(off);
        ByteBuffer w = r.window(off);
        if (in <= w.capacity() - 2 && (off & (PAGE_SIZE - 1)) <= PAGE_SIZE - 2) {
            w.putShort(in, value);
            r.vmmDirty().mark(off / PAGE_SIZE);
            r.wrote(off, 2);
        } else {
            GuestMemory.super.writeShortLE(gpa, value);
        }
    }

    @Override
    public int readIntLE(long gpa) {
        MmapRegion r = region(gpa);
        long off = gpa - r.gpa();
        int in = MmapRegion.inWindow(off);
        ByteBuffer w = r.window(off);
        return in <= w.capacity() - 4 ? w.getInt(in) : GuestMemory.super.readIntLE(gpa);
    }

    @Override
    public void writeIntLE(long gpa, int value) {
        MmapRegion r = region(gpa);
        long off = gpa - r.gpa();
        int in = MmapRegion.inWindow(off);
        ByteBuffer w = r.window(off);
        if (in <= w.capacity() - 4 && (off & (PAGE_SIZE - 1)) <= PAGE_SIZE - 4) {
            w.putInt(in, value);
            r.vmmDirty().mark(off / PAGE_SIZE);
            r.wrote(off, 4);
        } else {
            GuestMemory.super.writeIntLE(gpa, value);
        }
    }

    @Override
    public long readLongLE(long gpa) {
        MmapRegion r = region(gpa);
        long off = gpa - r.gpa();
        int in = MmapRegion.inWindow(off);
        ByteBuffer w = r.window(off);
        return in <= w.capacity() - 8 ? w.getLong(in) : GuestMemory.super.readLongLE(gpa);
    }

    @Override
    public void writeLongLE(long gpa, long value) {
        MmapRegion r = region(gpa);
        long off = gpa - r.gpa();
        int in = MmapRegion.inWindow(off);
        ByteBuffer w = r.window(off);
        if (in <= w.capacity() - 8 && (off & (PAGE_SIZE - 1)) <= PAGE_SIZE - 8) {
            w.putLong(in, value);
            r.vmmDirty().mark(off / PAGE_SIZE);
            r.wrote(off, 8);
        } else {
            GuestMemory.super.writeLongLE(gpa, value);
        }
    }

    /** Unmaps every region; idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            for (MmapRegion r : mmapRegions) {
                r.unmap();
            }
        }
    }
}
