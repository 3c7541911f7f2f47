package org.jkvm.devices.virtio;

import java.util.List;

/**
 * One request the driver made available: the head index (returned in the used ring) and its buffers in order,
 * device-readable ones first, then device-writable ones (virtio 1.2, 2.7.4.2).
 *
 * @param head     the index of the first descriptor
 * @param segments the buffers, each in guest-physical memory
 */
public record DescriptorChain(int head, List<Segment> segments) {
    /**
     * One descriptor's buffer.
     *
     * @param gpa         guest-physical address
     * @param lengthBytes length in bytes
     * @param writable    whether the device writes it (VIRTQ_DESC_F_WRITE)
     */
    public record Segment(long gpa, int lengthBytes, boolean writable) {
    }

    /** The total bytes of the device-readable buffers. */
    public long readableBytes() {
        long n = 0;
        for (Segment s : segments) {
            n += s.writable() ? 0 : s.lengthBytes();
        }
        return n;
    }

    /** The total bytes of the device-writable buffers. */
    public long writableBytes() {
        long n = 0;
        for (Segment s : segments) {
            n += s.writable() ? s.lengthBytes() : 0;
        }
        return n;
    }
}
