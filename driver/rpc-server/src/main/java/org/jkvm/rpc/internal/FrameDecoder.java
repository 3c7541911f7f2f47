package org.jkvm.rpc.internal;

import java.nio.ByteBuffer;
import java.util.function.Consumer;

import org.jkvm.remote.Programs;
import org.jkvm.rpc.RpcException;

/**
 * Cuts a byte stream into libvirt frames: a 4-byte big-endian length that counts itself, then {@code len - 4}
 * bytes (the 24-byte header and the payload).
 *
 * <p>Bytes may arrive split anywhere. A length below 28 or above {@link Programs#FRAME_MAX} is refused
 * <em>before</em> anything is allocated, with an {@link RpcException}, and the frame buffer grows only as bytes
 * arrive; the stream cannot be resynchronised
 * after that, so the caller closes the connection. Not thread-safe: one decoder per connection.
 */
public final class FrameDecoder {
    private final int maxFrame;
    private final ByteBuffer lengthWord = ByteBuffer.allocate(4);
    private static final int INITIAL_BODY = 64 * 1024;
    private ByteBuffer body;
    private int bodyLength;

    /** A decoder accepting frames up to libvirt's limit. */
    public FrameDecoder() {
        this(Programs.FRAME_MAX);
    }

    /**
     * A decoder with a custom upper bound.
     *
     * @param maxFrame the largest length word accepted, at most {@link Programs#FRAME_MAX}
     */
    public FrameDecoder(int maxFrame) {
        this.maxFrame = Math.min(maxFrame, Programs.FRAME_MAX);
    }

    /**
     * Consumes all of {@code in}, handing each complete frame (header and payload, without the length word) to
     * {@code sink} as a buffer positioned at the header.
     *
     * @throws RpcException on an invalid length word
     */
    public void feed(ByteBuffer in, Consumer<ByteBuffer> sink) {
        while (in.hasRemaining()) {
            if (body == null) {
                copy(in, lengthWord);
                if (lengthWord.hasRemaining()) {
                    return;
                }
                int len = lengthWord.getInt(0);
                lengthWord.clear();
                if (len < Programs.HEADER_BYTES || len > maxFrame) {
                    throw new RpcException("invalid RPC frame length " + Integer.toUnsignedString(len)
                            + " (must be " + Programs.HEADER_BYTES + ".." + maxFrame + "); closing the connection");
                }
                bodyLength = len - 4;
                // Grow with the bytes that really arrive, so a peer announcing 32 MiB and sending little
                // costs little.
                body = ByteBuffer.allocate(Math.min(bodyLength, INITIAL_BODY));
            }
            if (!body.hasRemaining() && body.capacity() < bodyLength) {
                ByteBuffer bigger = ByteBuffer.allocate((int) Math.min((long) bodyLength, 2L * body.capacity()));
                body.flip();
                bigger.put(body);
                body = bigger;
            }
            copy(in, body);
            if (!body.hasRemaining() && body.capacity() == bodyLength) {
                ByteBuffer frame = body.flip();
                body = null;
                sink.accept(frame);
            }
        }
    }

    /** True when no partial frame is buffered. */
    public boolean idle() {
        return body == null && lengthWord.position() == 0;
    }

    private static void copy(ByteBuffer from, ByteBuffer to) {
        int n = Math.min(from.remaining(), to.remaining());
        ByteBuffer slice = from.slice();
        slice.limit(n);
        to.put(slice);
        from.position(from.position() + n);
    }
}
