package org.jkvm.devices.pci;

/**
 * The host bridge at 00:00.0 as QEMU's {@code pc} machine shows it: Intel 82441FX (i440FX PMC), vendor 0x8086, device
 * 0x1237, revision 2, class 0x060000 (host bridge), no BARs. Its chipset registers (PAM, SMRAM) are not modelled: the
 * guest's writes to them are dropped as on a read-only byte.
 */
public final class PciHostBridge implements PciDevice {
    /** Intel's PCI vendor id. */
    public static final int VENDOR_INTEL = 0x8086;
    /** The 82441FX's device id. */
    public static final int DEVICE_I440FX = 0x1237;

    private final PciConfigSpace config = new PciConfigSpace(VENDOR_INTEL, DEVICE_I440FX, 0x060000, 0x02, 0x1af4,
            0x1100);

    @Override
    public PciConfigSpace config() {
        return config;
    }

    @Override
    public void barRead(int bar, long offset, byte[] data) {
        java.util.Arrays.fill(data, (byte) 0xff);
    }

    @Override
    public void barWrite(int bar, long offset, byte[] data) {
    }

    @Override
    public String name() {
        return "i440FX";
    }
}
