package org.jkvm.devices.virtio.net;

import java.nio.ByteBuffer;

/**
 * Where a NIC's transmitted Ethernet frames go: the host side of its backend (a tap's file descriptor). Called one
 * frame at a time on the device's I/O thread, and on the kicking vCPU thread too when {@link #neverBlocks} says the
 * call returns at once; must not block for long (a tap drops a frame when its queue is full).
 */
@FunctionalInterface
public interface FrameSink {
    /**
     * Sends one Ethernet frame, without a virtio-net header.
     *
     * @param frame the frame from its position to its limit; read only during the call
     * @return false when the backend refused the frame (counted as a transmit error)
     */
    boolean send(ByteBuffer frame);

    /**
     * Whether {@link #send} returns at once whatever the host does (a tap's write: the kernel queues the frame or
     * drops it, it never waits), so that the device may call it on the guest's vCPU thread. False unless a backend
     * says so: a sink that may wait is only called on the I/O thread.
     */
    default boolean neverBlocks() {
        return false;
    }

    /** {@code sink} marked as never blocking ({@link #neverBlocks}): for a backend whose send cannot wait. */
    static FrameSink nonBlocking(FrameSink sink) {
        return new FrameSink() {
            @Override
            public boolean send(ByteBuffer frame) {
                return sink.send(frame);
            }

            @Override
            public boolean neverBlocks() {
                return true;
            }
        };
    }
}
