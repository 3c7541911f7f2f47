package org.jkvm.hypervisor;

/**
 * The VMM side of a vCPU (Cloud Hypervisor's {@code VmOps}): how guest port I/O and MMIO reach the devices.
 * Called on the vCPU's own thread, in the middle of the guest's instruction; an implementation must not block for
 * long and must not call back into the vCPU.
 *
 * <p>{@code data} holds exactly the access width (1, 2, 4 or 8 bytes), little-endian as on the bus. A read that no
 * device claims must fill {@code data} with all ones, like an unclaimed ISA port.
 */
public interface VmOps {
    /** An {@code IN} from {@code port}: fill {@code data}. */
    void pioRead(int port, byte[] data);

    /** An {@code OUT} of {@code data} to {@code port}. */
    void pioWrite(int port, byte[] data);

    /** A read of guest-physical {@code gpa}, which is not RAM: fill {@code data}. */
    void mmioRead(long gpa, byte[] data);

    /** A write of {@code data} to guest-physical {@code gpa}, which is not RAM. */
    void mmioWrite(long gpa, byte[] data);
}
