/**
 * A PCI bus as QEMU's i440FX {@code pc} machine presents it: bus 0 with the host bridge at 00:00.0, configuration
 * mechanism #1 through ports 0xCF8/0xCFC ({@link org.jkvm.devices.pci.PciBus}), 32-bit memory BARs placed in the
 * hole below 4 GiB, and INTx routed through the PIIX3's four PIRQ lines to ISA interrupts 10 and 11 as SeaBIOS
 * programs them; MSI-X ({@link org.jkvm.devices.pci.MsixTable}) sends messages to the platform's interrupt
 * controllers through the bus's {@link org.jkvm.devices.pci.MsiSink}. Devices implement
 * {@link org.jkvm.devices.pci.PciDevice} around a {@link org.jkvm.devices.pci.PciConfigSpace}. References: PCI Local
 * Bus Specification 3.0, chapter 6 (configuration space; 6.8.2, MSI-X) and section 3.2.2.3.2 (configuration
 * mechanism #1); Intel 82441FX datasheet (host bridge IDs).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.jkvm.devices.pci;
