package org.jkvm.loader.acpi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.jkvm.loader.X86Layout;

/**
 * The DSDT (ACPI 6.0 §5.2.11.1, revision 2: AML integers are 64-bit) with the two objects the platform needs,
 * hand-assembled from the AML grammar of ACPI 6.0 §20: the sleep-type package of S5,
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
 * and the PCI root bridge ({@link #pciRoot}), without which Linux, using ACPI, scans no PCI bus. No other devices
 * are described: the 16550, the RTC, the PIT and the PICs are at their legacy ISA addresses, and the power button
 * is the fixed-feature one of the FADT. Stateless.
 */
final class Dsdt {
    /** The ISA interrupts PIRQA..D reach (the PCI bus's routing, as SeaBIOS sets up QEMU's PIIX3). */
    private static final int[] PIRQ_TO_GSI = {10, 10, 11, 11};
    /** The AML above. */
    static final byte[] S5 = {0x08, 0x5C, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x08, 0x04, 0x0A, AcpiTables.SLP_TYP_S5,
        0x0A, AcpiTables.SLP_TYP_S5, 0x00, 0x00};

    private Dsdt() {
    }

    /** The whole table: header and AML. */
    static byte[] aml() {
        byte[] aml = Aml.cat(S5, pciRoot());
        Table t = new Table("DSDT", 2, Table.HEADER + aml.length);
        t.body().put(aml);
        return t.finish();
    }

    /**
     * The PCI root bridge, bus 0 behind configuration mechanism #1:
     *
     * <pre>
     * Scope (\_SB) {
     *   Device (PCI0) {
     *     Name (_HID, EisaId ("PNP0A03"))
     *     Name (_ADR, 0)
     *     Name (_UID, 0)
     *     Name (_CRS, ResourceTemplate () { the windows of {@link #rootResources} })
     *     Name (_PRT, Package () { Package () { 0xSSSSFFFF, pin, 0, GSI } for slots 0-31, pins 0-3 })
     *   }
     * }
     * </pre>
     *
     * A _PRT entry whose source is 0 names the GSI directly (ACPI 6.0 §6.2.13): pin P of slot S reaches PIRQ
     * (S - 1 + P) mod 4 (the PIIX3's swizzle) and so the ISA interrupt of {@link #PIRQ_TO_GSI}.
     */
    static byte[] pciRoot() {
        byte[][] prt = new byte[32 * 4][];
        for (int slot = 0; slot < 32; slot++) {
            for (int pin = 0; pin < 4; pin++) {
                prt[slot * 4 + pin] = Aml.pkgOf(Aml.integer((long) slot << 16 | 0xFFFF), Aml.integer(pin),
                        Aml.integer(0), Aml.integer(PIRQ_TO_GSI[(slot - 1 + pin) & 3]));
            }
        }
        return Aml.scope("\\_SB", Aml.device("PCI0",
                Aml.name("_HID", Aml.eisaId("PNP0A03")),
                Aml.name("_ADR", Aml.integer(0)),
                Aml.name("_UID", Aml.integer(0)),
                Aml.name("_CRS", Aml.buffer(rootResources())),
                Aml.name("_PRT", Aml.pkgOf(prt))));
    }

    /**
     * The root bridge's resources (ACPI 6.0 §6.4): bus numbers 0-255 (Word Address Space, type 2), the
     * configuration ports 0xCF8-0xCFF it consumes (I/O port descriptor), the I/O windows 0-0xCF7 and 0xD00-0xFFFF
     * (Word Address Space, type 1, entire range), the memory window [PCI_WINDOW_START, PCI_WINDOW_END) (DWord
     * Address Space, type 0, cacheable, read/write), and the end tag. The windows are produced (general flags
     * 0x0C: fixed minimum and maximum, positive decode, producer).
     */
    static byte[] rootResources() {
        ByteBuffer b = ByteBuffer.allocate(128).order(ByteOrder.LITTLE_ENDIAN);
        wordSpace(b, 2, 0, 0, 0xFF);
        b.put((byte) 0x47).put((byte) 1).putShort((short) 0xCF8).putShort((short) 0xCF8).put((byte) 1).put((byte) 8);
        wordSpace(b, 1, 3, 0, 0xCF7);
        wordSpace(b, 1, 3, 0xD00, 0xFFFF);
        long lo = X86Layout.PCI_WINDOW_START;
        long hi = X86Layout.PCI_WINDOW_END - 1;
        b.put((byte) 0x87).putShort((short) 23).put((byte) 0).put((byte) 0x0C).put((byte) 0x03);
        b.putInt(0).putInt((int) lo).putInt((int) hi).putInt(0).putInt((int) (hi - lo + 1));
        b.put((byte) 0x79).put((byte) 0);  // end tag, checksum 0: "treated as if the checksum is correct"
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    /** A Word Address Space Descriptor (0x88, 13 bytes after the length) for the range min..max. */
    private static void wordSpace(ByteBuffer b, int type, int typeFlags, int min, int max) {
        b.put((byte) 0x88).putShort((short) 13).put((byte) type).put((byte) 0x0C).put((byte) typeFlags);
        b.putShort((short) 0).putShort((short) min).putShort((short) max).putShort((short) 0)
                .putShort((short) (max - min + 1));
    }
}
