package org.jkvm.devices.virtio;

import java.util.List;

/**
 * A virtio device type behind a transport (kvmtool's {@code virtio_ops}, Firecracker's {@code VirtioDevice}):
 * its features, queues and configuration, and what it does when the driver notifies it.
 *
 * <p>The transport calls every method on the vCPU thread. A device does its work elsewhere (an injected executor):
 * {@link #notify} only schedules it, and {@link #reset} waits until that work has stopped touching guest memory.
 */
public interface VirtioDevice {
    /** The virtio device id (virtio 1.2, section 5: 2 = block). */
    int deviceType();

    /** The PCI class code (base, subclass, interface) the function shows. */
    int pciClass();

    /** The device feature bits offered, including VIRTIO_F_VERSION_1 (bit 32). */
    long features();

    /** How many virtqueues the device has. */
    int queueCount();

    /** The largest size of each queue, a power of two. */
    int queueMaxSize();

    /**
     * The MSI-X table size of the device's PCI function, QEMU's default {@code vectors=} for it: by default one vector
     * per queue plus one for configuration changes (virtio-blk-pci with one queue: 2).
     */
    default int msixVectors() {
        return queueCount() + 1;
    }

    /** The size of the device-specific configuration structure in bytes. */
    int configSize();

    /** The driver reads {@code data.length} bytes of the device configuration at {@code offset}. */
    void configRead(int offset, byte[] data);

    /** The driver writes the device configuration; read-only fields ignore it (the default). */
    default void configWrite(int offset, byte[] data) {
    }

    /**
     * The driver set DRIVER_OK: the device may use {@code queues} with the negotiated {@code features} and signal
     * through {@code context}.
     */
    void activate(List<VirtQueue> queues, long features, VirtioContext context);

    /** The driver wrote queue {@code queue}'s notify address; schedule the work and return. */
    void notify(int queue);

    /**
     * The driver reset the device (status 0): stop, wait until no request touches guest memory or the rings, forget
     * the activation. Requests made available and not taken are left for the next activation.
     */
    void reset();

    /** Waits until every request taken from a queue is completed and no work is pending (before a save). */
    default void quiesce() {
    }

    /** What the transport gives an active device. */
    interface VirtioContext {
        /** Guest memory, for the rings and the buffers. */
        org.jkvm.memory.GuestMemory memory();

        /** Used buffers were added to {@code queue} and the driver asked to hear about them. */
        void usedBuffers(int queue);

        /**
         * The device configuration changed (link status, an announce request): bumps config_generation and raises
         * the configuration-change interrupt (ISR bit 1), virtio 1.2, 4.1.4.5.
         */
        void configChanged();

        /** The device found the driver's rings broken: DEVICE_NEEDS_RESET and a configuration interrupt. */
        void needsReset(String why);
    }
}
