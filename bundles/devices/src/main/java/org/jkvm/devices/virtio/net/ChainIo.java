package org.jkvm.devices.virtio.net;

import java.nio.ByteBuffer;

import org.jkvm.devices.virtio.DescriptorChain;
import org.jkvm.memory.GuestMemory;

/**
 * Copies between a buffer and a descriptor chain's readable or writable bytes taken as one stream, whatever the
 * descriptor boundaries (a driver may split a header from its frame, or a frame across pages). Stateless.
 */
final class ChainIo {
    private ChainIo() {
    }

    /** Copies up to {@code dst.remaining()} device-readable bytes from stream offset {@code from}. */
    static void read(GuestMemory memory, DescriptorChain chain, long from, ByteBuffer dst) {
        copy(memory, chain, false, from, dst);
    }

    /** Copies up to {@code src.remaining()} bytes into the device-writable stream at offset {@code to}. */
    static void write(GuestMemory memory, DescriptorChain chain, long to, ByteBuffer src) {
        copy(memory, chain, true, to, src);
    }

    private static void copy(GuestMemory memory, DescriptorChain chain, boolean toGuest, long start, ByteBuffer buf) {
        long pos = 0;
        for (DescriptorChain.Segment s : chain.segments()) {
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
