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
        chain.readStream(memory, from, dst);
    }

    /** Copies {@code src.remaining()} bytes into the writable stream at offset {@code to}. */
    void writeTo(long to, ByteBuffer src) {
        chain.writeStream(memory, to, src);
    }
}
