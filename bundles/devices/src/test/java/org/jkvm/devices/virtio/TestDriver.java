package org.jkvm.devices.virtio;

import java.util.HashMap;
import java.util.Map;

import org.jkvm.devices.IoBus;
import org.jkvm.devices.pci.PciBus;
import org.jkvm.memory.GuestMemory;

/**
 * A virtio-pci driver written for tests, as a guest would drive the device: configuration space through mechanism
 * #1, the capability list to find the structures, the BAR through the MMIO bus, one split queue in guest memory.
 */
public final class TestDriver {
    /** Where the queue's three parts and the data buffers live in guest memory. */
    public static final long DESC = 0x10000;
    /** Available ring. */
    public static final long AVAIL = 0x11000;
    /** Used ring. */
    public static final long USED = 0x12000;
    private final PciBus bus;
    private final IoBus mmio;
    private final GuestMemory memory;
    private final int slot;
    private final Map<Integer, Long> caps = new HashMap<>();
    private int queueSize;
    private int nextDesc;
    private int availIdx;
    private int notifyOff;

    public TestDriver(PciBus bus, IoBus mmio, GuestMemory memory, int slot) {
        this.bus = bus;
        this.mmio = mmio;
        this.memory = memory;
        this.slot = slot;
        for (int p = cfg(0x34, 1); p != 0; p = cfg(p + 1, 1)) {
            if (cfg(p, 1) == 0x09) {
                int bar = cfg(p + 4, 1);
                long base = cfg(0x10 + 4 * bar, 4) & 0xffff_fff0L;
                caps.put(cfg(p + 3, 1), base + (cfg(p + 8, 4) & 0xffffffffL));
                if (cfg(p + 3, 1) == 2) {
                    notifyOff = cfg(p + 16, 4);
                }
            }
        }
    }

    /** A configuration-space read of this function. */
    public int cfg(int reg, int size) {
        return bus.configRead(0x8000_0000 | slot << 11 | (reg & 0xfc), reg & 3, size);
    }

    /** The guest-physical address of the structure of capability type {@code type}. */
    public long cap(int type) {
        return caps.get(type);
    }

    public long read(long gpa, int size) {
        byte[] d = new byte[size];
        mmio.read(gpa, d);
        long v = 0;
        for (int i = 0; i < size; i++) {
            v |= (d[i] & 0xffL) << (8 * i);
        }
        return v;
    }

    public void write(long gpa, int size, long v) {
        byte[] d = new byte[size];
        for (int i = 0; i < size; i++) {
            d[i] = (byte) (v >>> (8 * i));
        }
        mmio.write(gpa, d);
    }

    public long common(int off, int size) {
        return read(cap(1) + off, size);
    }

    public void common(int off, int size, long v) {
        write(cap(1) + off, size, v);
    }

    /** The 64 feature bits the device offers. */
    public long deviceFeatures() {
        common(0x00, 4, 0);
        long lo = common(0x04, 4);
        common(0x00, 4, 1);
        return lo | common(0x04, 4) << 32;
    }

    /**
     * Resets, negotiates {@code features} and stops there when the device refuses them.
     *
     * @return whether FEATURES_OK stuck
     */
    public boolean negotiate(long features) {
        common(0x14, 1, 0);
        common(0x14, 1, 1);
        common(0x14, 1, 3);
        common(0x08, 4, 0);
        common(0x0c, 4, features & 0xffffffffL);
        common(0x08, 4, 1);
        common(0x0c, 4, features >>> 32);
        common(0x14, 1, 11);
        return (common(0x14, 1) & 8) != 0;
    }

    /** Negotiates {@code features}, sets up queue 0 with {@code size} entries and sets DRIVER_OK. */
    public void start(long features, int size) {
        if (!negotiate(features)) {
            throw new IllegalStateException("the device refused features 0x" + Long.toHexString(features));
        }
        // A driver starts from zeroed rings: a stale available index would hand the device old requests.
        memory.write(AVAIL, java.nio.ByteBuffer.allocate(0x2000));
        common(0x16, 2, 0);
        common(0x18, 2, size);
        common(0x20, 4, DESC);
        common(0x24, 4, 0);
        common(0x28, 8, AVAIL);
        common(0x30, 4, USED);
        common(0x1c, 2, 1);
        queueSize = size;
        nextDesc = 0;
        availIdx = 0;
        common(0x14, 1, 15);
    }

    /**
     * Writes a chain of descriptors ({@code {gpa, len, writable}} triples) and makes it available, without a notify.
     *
     * @return the head index
     */
    public int offer(long[]... segs) {
        int head = nextDesc;
        for (int i = 0; i < segs.length; i++) {
            int d = (nextDesc + i) % queueSize;
            long at = DESC + 16L * d;
            memory.writeLongLE(at, segs[i][0]);
            memory.writeIntLE(at + 8, (int) segs[i][1]);
            int flags = (segs[i][2] != 0 ? 2 : 0) | (i + 1 < segs.length ? 1 : 0);
            memory.writeShortLE(at + 12, (short) flags);
            memory.writeShortLE(at + 14, (short) ((d + 1) % queueSize));
        }
        nextDesc = (nextDesc + segs.length) % queueSize;
        memory.writeShortLE(AVAIL + 4 + 2L * (availIdx % queueSize), (short) head);
        availIdx = (availIdx + 1) & 0xffff;
        memory.writeShortLE(AVAIL + 2, (short) availIdx);
        return head;
    }

    /** Notifies queue 0. */
    public void kick() {
        write(cap(2) + (long) common(0x1e, 2) * notifyOff, 2, 0);
    }

    /** The device's used index. */
    public int usedIdx() {
        return memory.readShortLE(USED + 2) & 0xffff;
    }

    /** Used element {@code i}: {id, len}. */
    public int[] used(int i) {
        long at = USED + 4 + 8L * (i % queueSize);
        return new int[] {memory.readIntLE(at), memory.readIntLE(at + 4)};
    }

    /** Sets used_event (the driver's event index). */
    public void usedEvent(int value) {
        memory.writeShortLE(AVAIL + 4 + 2L * queueSize, (short) value);
    }

    /** Reads and so clears the ISR. */
    public int isr() {
        return (int) read(cap(3), 1);
    }
}
