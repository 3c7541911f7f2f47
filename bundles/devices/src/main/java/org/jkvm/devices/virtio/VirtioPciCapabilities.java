package org.jkvm.devices.virtio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.jkvm.devices.pci.PciConfigSpace;
import org.jkvm.devices.pci.PciDevice;

/**
 * The virtio vendor capabilities of a modern PCI function (virtio 1.2, 4.1.4): where the common configuration, the
 * notifications, the ISR and the device configuration lie in BAR {@link VirtioPciTransport#BAR}, and the
 * VIRTIO_PCI_CAP_PCI_CFG window (4.1.4.9), through which a driver without BAR access reaches the BAR from
 * configuration space: it writes bar, offset and length into the capability, then reads or writes pci_cfg_data.
 *
 * <p>Thread-safety: that of the configuration space; the BAR accesses go through the transport's own locking.
 */
final class VirtioPciCapabilities {
    private final PciConfigSpace config;
    /** The VIRTIO_PCI_CAP_PCI_CFG capability's offset in configuration space. */
    private final int pciCfgCap;

    /**
     * Adds the capabilities to {@code config}: common (0x38 bytes), ISR (1), device configuration, notify (4 bytes per
     * queue, multiplier {@link VirtioPciTransport#NOTIFY_MULTIPLIER}), then the PCI configuration access window.
     */
    VirtioPciCapabilities(PciConfigSpace config, int deviceConfigSize, int queueCount) {
        this.config = config;
        config.addCapability(vendorCap(1, VirtioPciTransport.COMMON, 0x38, 16));
        config.addCapability(vendorCap(3, VirtioPciTransport.ISR, 1, 16));
        config.addCapability(vendorCap(4, VirtioPciTransport.DEVICE, Math.max(deviceConfigSize, 1), 16));
        byte[] notify = vendorCap(2, VirtioPciTransport.NOTIFY, 4 * queueCount, 20);
        notify[16] = VirtioPciTransport.NOTIFY_MULTIPLIER;
        config.addCapability(notify);
        pciCfgCap = config.addCapability(vendorCap(5, 0, 0, 20));
        config.makeWritable(pciCfgCap + 4, 1); // bar
        config.makeWritable(pciCfgCap + 8, 12); // offset, length, pci_cfg_data
    }

    /** A virtio_pci_cap of type {@code type} (1 common, 2 notify, 3 ISR, 4 device, 5 PCI config access). */
    private static byte[] vendorCap(int type, int offset, int length, int capLen) {
        ByteBuffer b = ByteBuffer.allocate(capLen).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, (byte) 0x09).put(2, (byte) capLen).put(3, (byte) type)
                .put(4, (byte) (type == 5 ? 0 : VirtioPciTransport.BAR));
        b.putInt(8, offset).putInt(12, length);
        return b.array();
    }

    /**
     * A configuration read at {@code offset}: inside pci_cfg_data with a valid window, reads {@code function}'s
     * BAR into {@code out[0]} and returns true; else false (the configuration space answers).
     */
    boolean read(int offset, int[] out, PciDevice function) {
        if (offset < pciCfgCap + 16 || offset >= pciCfgCap + 20) {
            return false;
        }
        byte[] data = window();
        if (data == null) {
            return false;
        }
        function.barRead(VirtioPciTransport.BAR, config.read(pciCfgCap + 8, 4) & 0xffffffffL, data);
        int v = 0;
        for (int i = 0; i < data.length; i++) {
            v |= (data[i] & 0xff) << (8 * i);
        }
        out[0] = v;
        return true;
    }

    /** A configuration write at {@code offset} (already stored): inside pci_cfg_data, writes it through to the BAR. */
    void written(int offset, PciDevice function) {
        if (offset < pciCfgCap + 16 || offset >= pciCfgCap + 20) {
            return;
        }
        byte[] data = window();
        if (data != null) {
            int v = config.read(pciCfgCap + 16, 4);
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (v >>> (8 * i));
            }
            function.barWrite(VirtioPciTransport.BAR, config.read(pciCfgCap + 8, 4) & 0xffffffffL, data);
        }
    }

    /** The window's access buffer, or null when its bar/length select nothing valid. */
    private byte[] window() {
        int bar = config.read(pciCfgCap + 4, 1);
        int length = config.read(pciCfgCap + 12, 4);
        return bar == VirtioPciTransport.BAR && (length == 1 || length == 2 || length == 4) ? new byte[length] : null;
    }
}
