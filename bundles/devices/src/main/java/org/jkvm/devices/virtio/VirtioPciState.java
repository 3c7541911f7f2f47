package org.jkvm.devices.virtio;

import java.util.List;

/**
 * The migratable state of a virtio PCI function: its PCI configuration space (BARs, command, interrupt line), the
 * common configuration the driver wrote, the ISR and the queues.
 *
 * @param pciConfig           the 256 configuration bytes (only guest-writable bits are restored)
 * @param status              device_status
 * @param deviceFeatureSelect device_feature_select
 * @param driverFeatureSelect driver_feature_select
 * @param driverFeatures      the features the driver accepted (64 bits)
 * @param queueSelect         queue_select
 * @param configGeneration    config_generation
 * @param isr                 the ISR status bits not yet read
 * @param queues              each queue's state, by index
 * @param msix                the MSI-X vectors and table, or null for a state saved before functions had MSI-X
 *                            (restored as MSI-X disabled, every entry masked)
 */
public record VirtioPciState(byte[] pciConfig, int status, int deviceFeatureSelect, int driverFeatureSelect,
        long driverFeatures, int queueSelect, int configGeneration, int isr, List<VirtQueueState> queues,
        VirtioMsixState msix) {
    /** The layout version of this record: 2 added {@link #msix}. */
    public static final int VERSION = 2;

    /** Copies the arrays so the record stays a value. */
    public VirtioPciState {
        pciConfig = pciConfig.clone();
        queues = List.copyOf(queues);
    }

    /** A state without MSI-X, as version 1 saved it. */
    public VirtioPciState(byte[] pciConfig, int status, int deviceFeatureSelect, int driverFeatureSelect,
            long driverFeatures, int queueSelect, int configGeneration, int isr, List<VirtQueueState> queues) {
        this(pciConfig, status, deviceFeatureSelect, driverFeatureSelect, driverFeatures, queueSelect,
                configGeneration, isr, queues, null);
    }

    /** Equal when every field is, the configuration bytes compared by content. */
    @Override
    public boolean equals(Object o) {
        return o instanceof VirtioPciState s && java.util.Arrays.equals(pciConfig, s.pciConfig) && status == s.status
                && deviceFeatureSelect == s.deviceFeatureSelect && driverFeatureSelect == s.driverFeatureSelect
                && driverFeatures == s.driverFeatures && queueSelect == s.queueSelect
                && configGeneration == s.configGeneration && isr == s.isr && queues.equals(s.queues)
                && java.util.Objects.equals(msix, s.msix);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(java.util.Arrays.hashCode(pciConfig), status, driverFeatures, queues);
    }

    /** A copy of the configuration bytes. */
    @Override
    public byte[] pciConfig() {
        return pciConfig.clone();
    }
}
