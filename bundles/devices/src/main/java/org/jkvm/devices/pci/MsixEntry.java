package org.jkvm.devices.pci;

/**
 * One MSI-X table entry with its pending bit, as saved for migration (PCI Local Bus Specification 3.0, 6.8.2.6-9).
 *
 * @param address       the message address (upper and lower dwords)
 * @param data          the message data
 * @param vectorControl the vector control dword; bit 0 is the entry's mask
 * @param pending       the entry's Pending Bit Array bit: a message arrived while the entry or function was masked
 */
public record MsixEntry(long address, int data, int vectorControl, boolean pending) {
    /** The entry as a function comes out of reset: masked, nothing pending. */
    public static final MsixEntry RESET = new MsixEntry(0, 0, 1, false);

    /** Whether the entry's own mask bit is set. */
    public boolean masked() {
        return (vectorControl & 1) != 0;
    }
}
