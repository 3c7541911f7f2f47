package org.jkvm.devices.virtio;

import java.util.List;

import org.jkvm.devices.pci.MsixEntry;

/**
 * The MSI-X part of a virtio PCI function's state: the vectors the driver chose in the common configuration and the
 * MSI-X table with its pending bits (the enable and function-mask bits travel in the configuration space).
 *
 * @param configVector  msix_config, VIRTIO_MSI_NO_VECTOR (0xffff) for none
 * @param queueVectors  each queue's queue_msix_vector, by index
 * @param table         the MSI-X table entries with their pending bits, by vector
 */
public record VirtioMsixState(int configVector, List<Integer> queueVectors, List<MsixEntry> table) {
    /** Copies the lists so the record stays a value. */
    public VirtioMsixState {
        queueVectors = List.copyOf(queueVectors);
        table = List.copyOf(table);
    }
}
