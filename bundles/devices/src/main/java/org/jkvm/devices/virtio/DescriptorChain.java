package org.jkvm.devices.virtio;

import java.nio.ByteBuffer;
import java.util.List;

import org.jkvm.memory.GuestMemory;

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

    /**
     * Copies up to {@code dst.remaining()} device-readable bytes, taken as one stream in chain order whatever the
     * descriptor boundaries (a driver may split a header from its payload, or a payload across pages), from stream
     * offset {@code from}; {@code dst}'s position advances by the bytes copied.
     */
    public void readStream(GuestMemory memory, long from, ByteBuffer dst) {
        copy(memory, false, from, dst);
    }

    /** Copies up to {@code src.remaining()} bytes into the device-writable stream at offset {@code to}. */
    public void writeStream(GuestMemory memory, long to, ByteBuffer src) {
        copy(memory, true, to, src);
    }

    private void copy(GuestMemory memory, boolean toGuest, long start, ByteBuffer buf) {
        long pos = 0;
        for (Segment s : segments) {
            if (s.writable() != toGuest || !buf.hasRemaining()) {
                continue;
            }
            long end = pos + (s.lengthBytes() & 0xffffffffL);
            if (end > start) {
                long skip = Math.max(0, start - pos);
                int n = (int) Math.min(end - pos - skip, buf.remaining());
                ByteBuffer part = buf.slice(buf.position(), n);
                if (toGuest) {
                    memory.write(s.gpa() + skip, part);
                } else {
                    memory.read(s.gpa() + skip, part);
                }
                buf.position(buf.position() + n);
            }
            pos = end;
        }
    }
}
