/**
 * The ACPI PM device ({@link org.jkvm.devices.acpi.AcpiPm}): the PM1 event and control registers, the PM timer,
 * the fixed power button, S5 and the reset register that the loader's FADT describes.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.jkvm.devices.acpi;
