package org.jkvm.devices;

/**
 * A device as register logic behind a bus (vm-superio's shape).
 *
 * <p>The device never learns its base address: {@code offset} is relative to the start of the range it was
 * registered at on the {@link IoBus}. {@code data.length} is the access width in bytes (1, 2, 4 or 8); multi-byte
 * values are little-endian as on x86. Implementations are called from the vCPU thread and, for state and
 * monitor access, from other threads, so each device synchronises its own registers.
 *
 * <p>Guest misbehaviour (an unknown register, a bad width) is ignored or logged, never thrown: a device must
 * not kill the vCPU.
 */
public interface BusDevice {
    /**
     * The guest reads {@code data.length} bytes at {@code offset}; the device fills {@code data}.
     *
     * @param offset byte offset within the device's range
     * @param data   the bytes to fill, little-endian; its length is the access width
     */
    void read(long offset, byte[] data);

    /**
     * The guest writes {@code data} at {@code offset}.
     *
     * @param offset byte offset within the device's range
     * @param data   the bytes written, little-endian; its length is the access width
     */
    void write(long offset, byte[] data);

    /** A short name for logs and the monitor, e.g. {@code "serial0"}. */
    default String name() {
        return getClass().getSimpleName();
    }
}
