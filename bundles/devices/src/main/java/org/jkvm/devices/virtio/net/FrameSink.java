package org.jkvm.devices.virtio.net;

import java.nio.ByteBuffer;

/**
 * Where a NIC's transmitted Ethernet frames go: the host side of its backend (a tap's file descriptor). Called on the
 * device's I/O thread, one frame at a time; must not block for long (a tap drops a frame when its queue is full).
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
}
