/**
 * The ACPI tables jkvm writes for its guests ({@link org.jkvm.loader.acpi.AcpiTables}: RSDP, RSDT, XSDT, FADT,
 * FACS, MADT, a DSDT with \_S5) and the I/O ports of the ACPI PM device they describe. Pure code writing through
 * {@link org.jkvm.memory.GuestMemory}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.jkvm.loader.acpi;
