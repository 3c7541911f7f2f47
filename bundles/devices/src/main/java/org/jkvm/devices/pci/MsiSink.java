package org.jkvm.devices.pci;

/**
 * Where a PCI function's message-signalled interrupts go: the platform's interrupt controllers
 * ({@code HvIrqChip.signalMsi}), which read {@code address} and {@code data} as the Intel SDM's MSI format says
 * (address 0xFEExxxxx: destination ID in bits 19:12, destination mode in bit 2; data: vector in bits 7:0, delivery
 * mode in bits 10:8, trigger mode in bit 15).
 *
 * <p>Thread-safety: implementations are called from any device thread.
 */
@FunctionalInterface
public interface MsiSink {
    /** A machine without interrupt controllers: messages go nowhere (its drivers poll). */
    MsiSink NONE = (address, data) -> {
    };

    /**
     * Writes the message: one edge-triggered interrupt.
     *
     * @param address the 64-bit message address
     * @param data    the 32-bit message data
     */
    void signal(long address, int data);
}
