package org.jkvm.devices.virtio.blk;

import java.nio.ByteBuffer;

import org.jkvm.devices.virtio.DescriptorChain;
import org.jkvm.memory.GuestMemory;

/**
 * A request's buffers as two byte streams: the device-readable bytes in chain order and the device-writable bytes
 * in chain order, whatever the descriptor boundaries (a driver may split a header or a sector across descriptors).
 * Not thread-safe: one request, one I/O thread.
 */
final class Buffers {
    private final GuestMemory memory;
    private final DescriptorChain chain;
    private final long readable;
    private final long writable;

    Buffers(GuestMemory memory, DescriptorChain chain) {
        this.memory = memory;
        this.chain = chain;
        this.readable = chain.readableBytes();
        this.writable = chain.writableBytes();
    }

    long readable() {
        return readable;
    }

    long writable() {
        return writable;
    }

    /** Copies {@code dst.remaining()} readable bytes starting at stream offset {@code from} into {@code dst}. */
    void readFrom(long from, ByteBuffer dst) {
        copy(false, from, dst);
    }

    /** Copies {@code src.remaining()} bytes into the writable stream at offset {@code to}. */
    void writeTo(long to, ByteBuffer src) {
        copy(true, to, src);
    }

    private void copy(boolean toGuest, long start, ByteBuffer buf) {
        long pos = 0;
        for (DescriptorChain.Segment s : chain.segments()) {
            if (s.writable() != toGuest || !buf.hasRemaining()) {
                continue;
            }
            long end = pos + s.lengthBytes();
            if (end > start) {
                long skip = Math.max(0, start - pos);
                int n = (int) Math.min(s.lengthBytes() - skip, buf.remaining());
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
