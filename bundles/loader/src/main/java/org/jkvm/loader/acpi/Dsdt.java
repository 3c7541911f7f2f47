package org.jkvm.loader.acpi;

/**
 * The DSDT (ACPI 6.0 §5.2.11.1, revision 2: AML integers are 64-bit) with the one object the platform needs, the
 * sleep-type package of S5, hand-assembled from the AML grammar of ACPI 6.0 §20:
 *
 * <pre>
 * Name (\_S5, Package (4) { 5, 5, 0, 0 })
 *
 * 08             NameOp
 * 5C 5F 53 35 5F NameString: RootChar '\' then the NameSeg "_S5_" (a name shorter than 4 is padded with '_')
 * 12             PackageOp
 * 08             PkgLength, one byte: the 8 bytes from here to the end of the package
 * 04             NumElements
 * 0A 05          BytePrefix 5: SLP_TYPa (the PM1a_CNT.SLP_TYP value of S5)
 * 0A 05          BytePrefix 5: SLP_TYPb (there is no PM1b block; the same value by convention)
 * 00 00          ZeroOp, ZeroOp: reserved
 * </pre>
 *
 * No devices are described: the 16550, the RTC, the PIT and the PICs are at their legacy ISA addresses, and the
 * power button is the fixed-feature one of the FADT. Stateless.
 */
final class Dsdt {
    /** The AML above. */
    static final byte[] S5 = {0x08, 0x5C, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x08, 0x04, 0x0A, AcpiTables.SLP_TYP_S5,
        0x0A, AcpiTables.SLP_TYP_S5, 0x00, 0x00};

    private Dsdt() {
    }

    /** The whole table: header and AML. */
    static byte[] aml() {
        Table t = new Table("DSDT", 2, Table.HEADER + S5.length);
        t.body().put(S5);
        return t.finish();
    }
}
