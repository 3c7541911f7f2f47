package org.jkvm.devices.pci;

import java.util.Arrays;

import org.jkvm.devices.DeviceException;

/**
 * The 256-byte configuration space of one type-0 PCI function (PCI Local Bus Specification 3.0, section 6.1).
 *
 * <p>Each byte has a write mask: the guest changes only the bits a real function implements (command bits, cache
 * line size, latency timer, interrupt line, the address bits of each BAR). A BAR's low address bits are read-only
 * zeros, so the sizing protocol (write all ones, read back {@code ~(size - 1) | flags}) falls out of the mask.
 * Only 32-bit memory BARs exist here. Capabilities are appended from offset 0x40 in a linked list.
 *
 * <pre>
 * 0x00 vendor id | device id        0x04 command | status            0x08 revision | class code (3 bytes)
 * 0x0C cache line | latency | header type | BIST                     0x10..0x27 BAR0..BAR5
 * 0x2C subsystem vendor | subsystem id                               0x34 capabilities pointer
 * 0x3C interrupt line | interrupt pin | min grant | max latency
 * </pre>
 *
 * <p>Thread-safety: all methods are synchronized (the vCPU writes, the I/O thread reads the command register).
 */
public final class PciConfigSpace {
    /** Size of the configuration space in bytes (conventional PCI). */
    public static final int SIZE = 256;
    /** Command register bit: the function decodes its memory BARs. */
    public static final int COMMAND_MEMORY = 1 << 1;
    /** Command register bit: the function may master the bus (DMA). */
    public static final int COMMAND_BUS_MASTER = 1 << 2;
    /** Command register bit: INTx is disabled. */
    public static final int COMMAND_INTX_DISABLE = 1 << 10;
    /** The first BAR's offset. */
    public static final int BAR0 = 0x10;
    /** Number of BARs of a type-0 header. */
    public static final int BARS = 6;
    private static final int STATUS_CAPABILITIES = 1 << 4;
    private static final int STATUS_INTERRUPT = 1 << 3;
    private static final int CAP_POINTER = 0x34;
    private static final int FIRST_CAP = 0x40;

    private final byte[] bytes = new byte[SIZE];
    private final byte[] writable = new byte[SIZE];
    private final long[] barSizes = new long[BARS];
    private int nextCap = FIRST_CAP;
    private int lastCap;

    /**
     * A function with the given identity; the header type is 0 (single function).
     *
     * @param vendorId        PCI vendor id
     * @param deviceId        device id
     * @param classCode       base class, subclass and programming interface, 24 bits
     * @param revision        revision id
     * @param subsystemVendor subsystem vendor id
     * @param subsystemId     subsystem id
     */
    public PciConfigSpace(int vendorId, int deviceId, int classCode, int revision, int subsystemVendor,
            int subsystemId) {
        put(0x00, 2, vendorId);
        put(0x02, 2, deviceId);
        put(0x08, 1, revision);
        put(0x09, 3, classCode);
        put(0x2C, 2, subsystemVendor);
        put(0x2E, 2, subsystemId);
        mask(0x04, 2, 0x0547); // I/O, memory, bus master, parity, SERR, INTx disable
        mask(0x0C, 2, 0xffff); // cache line size, latency timer
        mask(0x3C, 1, 0xff); // interrupt line: scratch for the OS
    }

    /**
     * Declares BAR {@code index} as a 32-bit non-prefetchable memory BAR of {@code sizeBytes}.
     *
     * @throws DeviceException when the size is not a power of two from 16 bytes to 1 GiB or the index is out of range
     */
    public synchronized void defineMemoryBar(int index, long sizeBytes) {
        if (index < 0 || index >= BARS || Long.bitCount(sizeBytes) != 1 || sizeBytes < 16 || sizeBytes > (1L << 30)) {
            throw new DeviceException("cannot define BAR " + index + " of " + sizeBytes + " bytes; give an index 0-5 "
                    + "and a power-of-two size from 16 bytes to 1 GiB");
        }
        barSizes[index] = sizeBytes;
        mask(BAR0 + 4 * index, 4, (int) ~(sizeBytes - 1) & ~0xf);
    }

    /** The size of BAR {@code index} in bytes, 0 when the function has no such BAR. */
    public synchronized long barSize(int index) {
        return barSizes[index];
    }

    /** The guest-physical base of BAR {@code index} as currently programmed (the address bits only). */
    public synchronized long barAddress(int index) {
        return Integer.toUnsignedLong(get(BAR0 + 4 * index, 4)) & ~0xfL;
    }

    /** Programs BAR {@code index} as firmware would (the bus's placement before the guest runs). */
    public synchronized void setBarAddress(int index, long gpa) {
        put(BAR0 + 4 * index, 4, (int) gpa & ~0xf);
    }

    /** The command register. */
    public synchronized int command() {
        return get(0x04, 2);
    }

    /** Sets the command register (firmware's set-up; the guest writes through {@link #write}). */
    public synchronized void setCommand(int value) {
        put(0x04, 2, value);
    }

    /** Sets the interrupt pin (1 = INTA# ... 4 = INTD#, 0 = none) and line (the ISA IRQ firmware routed it to). */
    public synchronized void setInterrupt(int pin, int line) {
        put(0x3D, 1, pin);
        put(0x3C, 1, line);
    }

    /** The interrupt pin register: 1 = INTA# ... 4 = INTD#, 0 = none. */
    public synchronized int interruptPin() {
        return get(0x3D, 1);
    }

    /** Reflects the function's INTx level in the status register's interrupt-status bit (PCI 3.0, 6.2.3). */
    public synchronized void setInterruptStatus(boolean pending) {
        int status = get(0x06, 2);
        put(0x06, 2, pending ? status | STATUS_INTERRUPT : status & ~STATUS_INTERRUPT);
    }

    /**
     * Appends a capability: {@code body[0]} is the capability id, {@code body[1]} is filled with the next pointer.
     *
     * @return the capability's offset in configuration space
     * @throws DeviceException when the capabilities do not fit in 256 bytes
     */
    public synchronized int addCapability(byte[] body) {
        int at = nextCap;
        if (body.length < 2 || at + body.length > SIZE) {
            throw new DeviceException("a " + body.length + "-byte PCI capability does not fit at 0x"
                    + Integer.toHexString(at) + "; the configuration space holds 256 bytes");
        }
        System.arraycopy(body, 0, bytes, at, body.length);
        bytes[at + 1] = 0;
        if (lastCap == 0) {
            put(CAP_POINTER, 1, at);
            put(0x06, 2, get(0x06, 2) | STATUS_CAPABILITIES);
        } else {
            bytes[lastCap + 1] = (byte) at;
        }
        lastCap = at;
        nextCap = (at + body.length + 3) & ~3;
        return at;
    }

    /** Makes {@code length} bytes at {@code offset} writable by the guest (a capability's read-write fields). */
    public synchronized void makeWritable(int offset, int length) {
        Arrays.fill(writable, offset, offset + length, (byte) 0xff);
    }

    /**
     * Sets the write mask of {@code size} bytes at {@code offset} bit by bit: the guest changes exactly the bits set
     * in {@code mask} (a register whose bytes mix read-only and read-write bits, e.g. MSI-X message control).
     */
    public synchronized void setWriteMask(int offset, int size, int mask) {
        mask(offset, size, mask);
    }

    /**
     * The guest reads {@code size} bytes at {@code offset}; the value is little-endian in the low bits.
     * Reads that cross the end of the space return the bytes inside it.
     */
    public synchronized int read(int offset, int size) {
        return get(offset, Math.min(size, SIZE - offset));
    }

    /** The guest writes {@code size} bytes of {@code value} at {@code offset}; read-only bits keep their value. */
    public synchronized void write(int offset, int size, int value) {
        for (int i = 0; i < size && offset + i < SIZE; i++) {
            int m = writable[offset + i];
            int v = value >>> (8 * i);
            bytes[offset + i] = (byte) ((bytes[offset + i] & ~m) | (v & m));
        }
    }

    /** Sets bytes directly (device-owned fields the guest cannot write). */
    public synchronized void put(int offset, int size, int value) {
        for (int i = 0; i < size; i++) {
            bytes[offset + i] = (byte) (value >>> (8 * i));
        }
    }

    /** A copy of the 256 bytes, for saving the function's state. */
    public synchronized byte[] snapshot() {
        return bytes.clone();
    }

    /**
     * Restores the bytes saved by {@link #snapshot()}; only guest-writable bits are taken, the identity stays.
     *
     * @throws DeviceException when {@code saved} is not 256 bytes
     */
    public synchronized void restore(byte[] saved) {
        if (saved.length != SIZE) {
            throw new DeviceException("a saved PCI configuration space has " + saved.length + " bytes, not 256");
        }
        for (int i = 0; i < SIZE; i++) {
            bytes[i] = (byte) ((bytes[i] & ~writable[i]) | (saved[i] & writable[i]));
        }
    }

    private void mask(int offset, int size, int value) {
        for (int i = 0; i < size; i++) {
            writable[offset + i] = (byte) (value >>> (8 * i));
        }
    }

    private int get(int offset, int size) {
        int v = 0;
        for (int i = 0; i < size; i++) {
            v |= (bytes[offset + i] & 0xff) << (8 * i);
        }
        return v;
    }
}
