/**
 * Device models as register logic behind a bus: {@link org.jkvm.devices.BusDevice}, the port/MMIO
 * {@link org.jkvm.devices.IoBus}, {@link org.jkvm.devices.IrqLine}, and the small legacy ports the firmware uses
 * (debug exit 0xf4, power control 0xf5, POST code 0x80). Devices see no KVM, no JNA and no threads.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.jkvm.devices;
