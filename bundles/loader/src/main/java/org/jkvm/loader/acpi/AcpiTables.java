package org.jkvm.loader.acpi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.jkvm.loader.LoaderException;
import org.jkvm.loader.X86Layout;
import org.jkvm.memory.GuestMemory;

/**
 * The ACPI tables of a jkvm guest (ACPI 6.0), written into the reserved area at {@link X86Layout#ACPI_GPA} where
 * an OS without EFI finds the RSDP by scanning 0xE0000-0xFFFFF on 16-byte boundaries:
 *
 * <pre>
 * 0xE0000  RSDP (revision 2: RSDT and XSDT addresses, both checksums)
 * 0xE0040  FACS (64-byte aligned; no waking vector, no global lock: S5 is the only sleep state)
 * 0xE0080  DSDT (AML: \_S5 and the PCI root bridge \_SB.PCI0, {@link Dsdt})
 *          FADT, MADT, XSDT, RSDT (16-byte aligned, in this order)
 * </pre>
 *
 * <p>The platform they describe: the PM1a event and control blocks, the PM timer and a reset register in the
 * I/O ports of the ACPI PM device at {@link #PM_BASE} (fixed power button, SCI on IRQ 9, S5 with SLP_TYP
 * {@link #SLP_TYP_S5}); one local APIC per vCPU at 0xFEE00000; the I/O APIC at 0xFEC00000 with GSI base 0; IRQ 0
 * on GSI 2 and IRQ 9 level-triggered, active high (interrupt source overrides); the dual 8259 (PCAT_COMPAT).
 * Stateless and thread-safe.
 */
public final class AcpiTables {
    /** OEMID of every table. */
    static final String OEM_ID = "JKVM";
    /** OEM table ID of every table. */
    static final String OEM_TABLE_ID = "JKVMPC";
    /** Creator ID of every table. */
    static final String CREATOR_ID = "JKVM";

    /** First I/O port of the ACPI PM device (PIIX4's customary PM base). */
    public static final int PM_BASE = 0x600;
    /** Number of I/O ports the ACPI PM device decodes from {@link #PM_BASE}. */
    public static final int PM_PORTS = 16;
    /** PM1a event block: PM1_STS (2 bytes), then PM1_EN (2 bytes). */
    public static final int PM1A_EVT_BLK = PM_BASE;
    /** PM1a control block: PM1_CNT (2 bytes). */
    public static final int PM1A_CNT_BLK = PM_BASE + 0x04;
    /** The PM timer: 24 bits counting at 3.579545 MHz (4-byte reads). */
    public static final int PM_TMR_BLK = PM_BASE + 0x08;
    /** The reset register (1 byte): writing {@link #RESET_VALUE} resets the system. */
    public static final int RESET_REG = PM_BASE + 0x0C;
    /** The value the OS writes to {@link #RESET_REG}. */
    public static final int RESET_VALUE = 0x06;
    /** The SCI's ISA IRQ (and GSI). */
    public static final int SCI_IRQ = 9;
    /** SLP_TYP of S5 (soft off) in PM1_CNT, as \_S5 in the DSDT says. */
    public static final int SLP_TYP_S5 = 5;

    static final long RSDP_GPA = X86Layout.ACPI_GPA;
    static final long FACS_GPA = X86Layout.ACPI_GPA + 0x40;
    static final long DSDT_GPA = X86Layout.ACPI_GPA + 0x80;

    private AcpiTables() {
    }

    /**
     * Writes every table for a guest with {@code vcpus} vCPUs (APIC ids 0 .. vcpus - 1).
     *
     * @return the RSDP's guest-physical address
     * @throws LoaderException when the tables do not fit in the ACPI area (more than 255 vCPUs)
     */
    public static long write(GuestMemory memory, int vcpus) {
        if (vcpus < 1 || vcpus > 255) {
            throw new LoaderException("the ACPI tables describe 1 to 255 vCPUs, not " + vcpus + "; change -smp");
        }
        put(memory, FACS_GPA, facs());
        byte[] dsdt = Dsdt.aml();
        put(memory, DSDT_GPA, dsdt);
        long fadtGpa = align16(DSDT_GPA + dsdt.length);
        byte[] fadt = Fadt.table(FACS_GPA, DSDT_GPA);
        put(memory, fadtGpa, fadt);
        long madtGpa = align16(fadtGpa + fadt.length);
        byte[] madt = Madt.table(vcpus);
        put(memory, madtGpa, madt);
        long xsdtGpa = align16(madtGpa + madt.length);
        byte[] xsdt = sdt("XSDT", 8, fadtGpa, madtGpa);
        put(memory, xsdtGpa, xsdt);
        long rsdtGpa = align16(xsdtGpa + xsdt.length);
        byte[] rsdt = sdt("RSDT", 4, fadtGpa, madtGpa);
        if (rsdtGpa + rsdt.length > X86Layout.ACPI_END_GPA) {
            throw new LoaderException("the ACPI tables for " + vcpus + " vCPUs do not fit below 1 MiB; lower -smp");
        }
        put(memory, rsdtGpa, rsdt);
        put(memory, RSDP_GPA, rsdp(rsdtGpa, xsdtGpa));
        return RSDP_GPA;
    }

    /**
     * The RSDP (ACPI 6.x §5.2.5.3): "RSD PTR ", checksum of the first 20 bytes, OEMID, revision 2, RSDT address,
     * length 36, XSDT address, extended checksum of all 36 bytes, 3 reserved.
     */
    static byte[] rsdp(long rsdtGpa, long xsdtGpa) {
        ByteBuffer b = ByteBuffer.allocate(36).order(ByteOrder.LITTLE_ENDIAN);
        b.put(Table.ascii("RSD PTR ", 8)).put((byte) 0).put(Table.ascii(OEM_ID, 6)).put((byte) 2);
        b.putInt((int) rsdtGpa).putInt(36).putLong(xsdtGpa);
        byte[] out = b.array();
        out[8] = Table.checksum(out, 0, 20);
        out[32] = Table.checksum(out, 0, 36);
        return out;
    }

    /**
     * The FACS (ACPI 6.x §5.2.10): "FACS", length 64, hardware signature 0, no waking vector, no global lock,
     * version 2. It has no checksum.
     */
    static byte[] facs() {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(Table.ascii("FACS", 4)).putInt(64);
        b.put(32, (byte) 2);
        return b.array();
    }

    /** An RSDT (4-byte entries) or XSDT (8-byte entries) pointing at {@code tables}. */
    static byte[] sdt(String signature, int entryBytes, long... tables) {
        Table t = new Table(signature, 1, Table.HEADER + entryBytes * tables.length);
        for (long gpa : tables) {
            if (entryBytes == 8) {
                t.body().putLong(gpa);
            } else {
                t.body().putInt((int) gpa);
            }
        }
        return t.finish();
    }

    private static long align16(long gpa) {
        return (gpa + 15) & ~15L;
    }

    private static void put(GuestMemory memory, long gpa, byte[] bytes) {
        memory.write(gpa, ByteBuffer.wrap(bytes));
    }
}
