package org.jkvm.devices.virtio;

import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.memory.GuestMemory;

/**
 * The device side of one split virtqueue (virtio 1.2, section 2.7), with the event index (VIRTIO_F_EVENT_IDX).
 *
 * <pre>
 * descriptor table (16 bytes each):  addr le64 | len le32 | flags le16 (NEXT=1, WRITE=2, INDIRECT=4) | next le16
 * driver area (available ring):      flags le16 | idx le16 | ring[size] le16 | used_event le16
 * device area (used ring):           flags le16 | idx le16 | ring[size] {id le32, len le32} | avail_event le16
 * </pre>
 *
 * <p>Thread-safety: the transport sets the addresses, the size and readiness on the vCPU thread while the queue is
 * not in use (before DRIVER_OK or during reset); {@link #pop}, {@link #addUsed} and {@link #needsInterrupt} run on one
 * I/O thread at a time (the device serialises them). Ring accesses are ordered with fences as the spec's memory
 * barriers ask: the available index is read before the entries it publishes, used entries are written before the
 * used index, and the used index is written before the driver's event index is read.
 */
public final class VirtQueue {
    /** VIRTQ_DESC_F_NEXT. */
    public static final int DESC_NEXT = 1;
    /** VIRTQ_DESC_F_WRITE. */
    public static final int DESC_WRITE = 2;
    /** VIRTQ_DESC_F_INDIRECT. */
    public static final int DESC_INDIRECT = 4;
    /** VIRTQ_AVAIL_F_NO_INTERRUPT (without the event index). */
    public static final int AVAIL_NO_INTERRUPT = 1;

    private final int index;
    private final int maxSize;
    private volatile int size;
    private volatile boolean ready;
    private volatile long descGpa;
    private volatile long driverGpa;
    private volatile long deviceGpa;
    private volatile boolean eventIdx;
    private int lastAvail;
    private int usedIdx;
    private int signalledUsed;

    /**
     * @param index   the queue's index in its device (for messages and the notify offset)
     * @param maxSize the largest size the device allows, a power of two up to 32768
     */
    public VirtQueue(int index, int maxSize) {
        this.index = index;
        this.maxSize = maxSize;
        this.size = maxSize;
    }

    /** The queue's index in its device. */
    public int index() {
        return index;
    }

    /** The largest queue size the device offers. */
    public int maxSize() {
        return maxSize;
    }

    /** The size the driver chose (initially {@link #maxSize()}). */
    public int size() {
        return size;
    }

    /** Sets the size; the driver may only lower it, to a power of two (anything else is ignored). */
    public void setSize(int value) {
        if (value > 0 && value <= maxSize && Integer.bitCount(value) == 1) {
            size = value;
        }
    }

    /** Whether the driver enabled the queue (queue_enable). */
    public boolean ready() {
        return ready;
    }

    /** Enables or disables the queue. */
    public void setReady(boolean value) {
        ready = value;
    }

    /** The descriptor table's guest-physical address. */
    public long descGpa() {
        return descGpa;
    }

    /** The driver area's (available ring's) guest-physical address. */
    public long driverGpa() {
        return driverGpa;
    }

    /** The device area's (used ring's) guest-physical address. */
    public long deviceGpa() {
        return deviceGpa;
    }

    /** Sets the three ring addresses. */
    public void setAddresses(long desc, long driver, long device) {
        this.descGpa = desc;
        this.driverGpa = driver;
        this.deviceGpa = device;
    }

    /** Sets whether VIRTIO_F_EVENT_IDX was negotiated (at DRIVER_OK). */
    public void setEventIdx(boolean value) {
        eventIdx = value;
    }

    /** Back to the state after a device reset: not ready, maximum size, no addresses, indices zero. */
    public void reset() {
        ready = false;
        size = maxSize;
        descGpa = 0;
        driverGpa = 0;
        deviceGpa = 0;
        eventIdx = false;
        lastAvail = 0;
        usedIdx = 0;
        signalledUsed = 0;
    }

    /**
     * The next available request, or null when the driver has made none available. With the event index, an empty
     * queue first publishes {@code avail_event} and checks once more, so a request made meanwhile is not missed.
     *
     * @throws VirtioException when the chain is malformed (a loop, an index past the table, an indirect descriptor)
     */
    public DescriptorChain pop(GuestMemory memory) {
        int avail = availIdx(memory);
        if (avail == lastAvail) {
            if (!eventIdx) {
                return null;
            }
            memory.writeShortLE(deviceGpa + 4 + 8L * size, (short) lastAvail);
            VarHandle.fullFence();
            avail = availIdx(memory);
            if (avail == lastAvail) {
                return null;
            }
        }
        if (((avail - lastAvail) & 0xffff) > size) {
            throw new VirtioException("queue " + index + ": the driver's available index " + avail + " is more than "
                    + size + " ahead of the device's " + lastAvail);
        }
        int head = memory.readShortLE(driverGpa + 4 + 2L * (lastAvail % size)) & 0xffff;
        lastAvail = (lastAvail + 1) & 0xffff;
        return walk(memory, head);
    }

    /**
     * Whether the driver has made a request available that {@link #pop} has not taken yet; reads only, publishes
     * nothing (unlike an empty {@code pop} with the event index).
     */
    public boolean hasAvailable(GuestMemory memory) {
        return ready && availIdx(memory) != lastAvail;
    }

    private int availIdx(GuestMemory memory) {
        int avail = memory.readShortLE(driverGpa + 2) & 0xffff;
        VarHandle.acquireFence(); // the ring entries published by this index are read after it
        return avail;
    }

    private DescriptorChain walk(GuestMemory memory, int head) {
        List<DescriptorChain.Segment> segments = new ArrayList<>();
        int i = head;
        boolean sawWritable = false;
        for (int n = 0; ; n++) {
            if (i >= size || n >= size) {
                throw new VirtioException("queue " + index + ": descriptor chain from " + head
                        + (i >= size ? " reaches index " + i + " past the table of " + size : " loops"));
            }
            long d = descGpa + 16L * i;
            long addr = memory.readLongLE(d);
            int len = memory.readIntLE(d + 8);
            int flags = memory.readShortLE(d + 12) & 0xffff;
            if ((flags & DESC_INDIRECT) != 0) {
                throw new VirtioException("queue " + index + ": descriptor " + i + " is indirect, which was not "
                        + "negotiated");
            }
            boolean writable = (flags & DESC_WRITE) != 0;
            if (sawWritable && !writable) {
                throw new VirtioException("queue " + index + ": descriptor " + i + " is device-readable after a "
                        + "device-writable one");
            }
            sawWritable |= writable;
            segments.add(new DescriptorChain.Segment(addr, len, writable));
            if ((flags & DESC_NEXT) == 0) {
                return new DescriptorChain(head, List.copyOf(segments));
            }
            i = memory.readShortLE(d + 14) & 0xffff;
        }
    }

    /**
     * Returns a request to the driver: writes the used element, then (after a release fence) the used index.
     *
     * @param head         the chain's head index
     * @param writtenBytes the bytes the device wrote into the chain's writable buffers
     */
    public void addUsed(GuestMemory memory, int head, int writtenBytes) {
        long elem = deviceGpa + 4 + 8L * (usedIdx % size);
        memory.writeIntLE(elem, head);
        memory.writeIntLE(elem + 4, writtenBytes);
        usedIdx = (usedIdx + 1) & 0xffff;
        VarHandle.releaseFence(); // the element is visible before the index that publishes it
        memory.writeShortLE(deviceGpa + 2, (short) usedIdx);
    }

    /**
     * Returns used buffers as one batch: every element first, then (after a release fence) the used index once, so
     * the driver never sees part of the batch (a mergeable receive buffer's chains must appear together).
     *
     * @param heads        the chains' head indices
     * @param writtenBytes the bytes written into each chain
     * @param count        how many of the arrays' entries to use
     */
    public void addUsed(GuestMemory memory, int[] heads, int[] writtenBytes, int count) {
        int idx = usedIdx;
        for (int i = 0; i < count; i++) {
            long elem = deviceGpa + 4 + 8L * (idx % size);
            memory.writeIntLE(elem, heads[i]);
            memory.writeIntLE(elem + 4, writtenBytes[i]);
            idx = (idx + 1) & 0xffff;
        }
        usedIdx = idx;
        VarHandle.releaseFence(); // the elements are visible before the index that publishes them
        memory.writeShortLE(deviceGpa + 2, (short) usedIdx);
    }

    /**
     * Gives back the last {@code count} requests taken by {@link #pop} and not returned, so the next pops see them
     * again (a receive that found too few buffers for a frame leaves them to the next frame).
     */
    public void unpop(int count) {
        lastAvail = (lastAvail - count) & 0xffff;
    }

    /**
     * Whether the driver wants an interrupt for the used buffers added since the last call that said yes: with the
     * event index, when {@code used_event} lies in the window just passed (virtio 1.2, 2.7.10); otherwise unless
     * the driver set VIRTQ_AVAIL_F_NO_INTERRUPT.
     */
    public boolean needsInterrupt(GuestMemory memory) {
        VarHandle.fullFence(); // the used index is written before the driver's event index is read
        int old = signalledUsed;
        int now = usedIdx;
        if (old == now) {
            return false;
        }
        boolean notify;
        if (eventIdx) {
            int usedEvent = memory.readShortLE(driverGpa + 4 + 2L * size) & 0xffff;
            notify = ((now - usedEvent - 1) & 0xffff) < ((now - old) & 0xffff);
        } else {
            notify = (memory.readShortLE(driverGpa) & AVAIL_NO_INTERRUPT) == 0;
        }
        signalledUsed = now;
        return notify;
    }

    /** The queue's state for migration; call with the device quiesced. */
    public VirtQueueState save() {
        return new VirtQueueState(size, ready, descGpa, driverGpa, deviceGpa, lastAvail, usedIdx, signalledUsed);
    }

    /** Restores a state saved by {@link #save()}; call before the device runs. */
    public void restore(VirtQueueState s) {
        setSize(s.size());
        ready = s.ready();
        setAddresses(s.descGpa(), s.driverGpa(), s.deviceGpa());
        lastAvail = s.lastAvail() & 0xffff;
        usedIdx = s.usedIdx() & 0xffff;
        signalledUsed = s.signalledUsed() & 0xffff;
    }
}
