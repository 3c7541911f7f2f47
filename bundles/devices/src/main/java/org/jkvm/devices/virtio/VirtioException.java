package org.jkvm.devices.virtio;

/**
 * The driver broke the virtio protocol (a descriptor loop, an index past the queue, a writable descriptor before a
 * readable one): the device stops using the queue and sets DEVICE_NEEDS_RESET, as the spec asks (virtio 1.2, 2.1.2).
 */
public final class VirtioException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message one sentence naming the queue, the index and what was wrong */
    public VirtioException(String message) {
        super(message);
    }
}
