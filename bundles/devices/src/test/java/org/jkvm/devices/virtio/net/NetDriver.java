package org.jkvm.devices.virtio.net;

import java.nio.ByteBuffer;

import org.jkvm.devices.virtio.TestDriver;
import org.jkvm.memory.GuestMemory;

/**
 * A virtio-net driver for tests: {@link TestDriver}'s discovery and negotiation, with the three queues each in its own
 * area of guest memory (queue N's descriptors at 0x100000 + N * 0x10000, available ring +0x4000, used ring +0x8000).
 */
final class NetDriver {
    private final TestDriver pci;
    private final GuestMemory memory;
    private final int size;
    private final int[] nextDesc = new int[3];
    private final int[] availIdx = new int[3];

    NetDriver(TestDriver pci, GuestMemory memory, int size) {
        this.pci = pci;
        this.memory = memory;
        this.size = size;
    }

    static long desc(int q) {
        return 0x100000 + 0x10000L * q;
    }

    static long avail(int q) {
        return desc(q) + 0x4000;
    }

    static long used(int q) {
        return desc(q) + 0x8000;
    }

    /** Negotiates {@code features}, sets up {@code queues} queues and sets DRIVER_OK. */
    void start(long features, int queues) {
        if (!pci.negotiate(features)) {
            throw new IllegalStateException("the device refused features 0x" + Long.toHexString(features));
        }
        for (int q = 0; q < queues; q++) {
            memory.write(desc(q), ByteBuffer.allocate(0x10000));
            pci.common(0x16, 2, q);
            pci.common(0x18, 2, size);
            pci.common(0x20, 8, desc(q));
            pci.common(0x28, 8, avail(q));
            pci.common(0x30, 8, used(q));
            pci.common(0x1c, 2, 1);
        }
        pci.common(0x14, 1, 15);
    }

    /** Makes a chain of {@code {gpa, len, writable}} segments available on queue {@code q}; returns its head. */
    int offer(int q, long[]... segs) {
        int head = nextDesc[q];
        for (int i = 0; i < segs.length; i++) {
            int d = (nextDesc[q] + i) % size;
            long at = desc(q) + 16L * d;
            memory.writeLongLE(at, segs[i][0]);
            memory.writeIntLE(at + 8, (int) segs[i][1]);
            memory.writeShortLE(at + 12, (short) ((segs[i][2] != 0 ? 2 : 0) | (i + 1 < segs.length ? 1 : 0)));
            memory.writeShortLE(at + 14, (short) ((d + 1) % size));
        }
        nextDesc[q] = (nextDesc[q] + segs.length) % size;
        memory.writeShortLE(avail(q) + 4 + 2L * (availIdx[q] % size), (short) head);
        availIdx[q] = (availIdx[q] + 1) & 0xffff;
        memory.writeShortLE(avail(q) + 2, (short) availIdx[q]);
        return head;
    }

    /** Notifies queue {@code q}. */
    void kick(int q) {
        pci.write(pci.cap(2) + 4L * q, 2, q);
    }

    int usedIdx(int q) {
        return memory.readShortLE(used(q) + 2) & 0xffff;
    }

    /** Used element {@code i} of queue {@code q}: {id, len}. */
    int[] used(int q, int i) {
        long at = used(q) + 4 + 8L * (i % size);
        return new int[] {memory.readIntLE(at), memory.readIntLE(at + 4)};
    }

    /** Reads the device configuration. */
    long config(int offset, int bytes) {
        return pci.read(pci.cap(4) + offset, bytes);
    }

    int isr() {
        return pci.isr();
    }

    TestDriver pci() {
        return pci;
    }
}
