package org.jkvm.loader.acpi;

import java.nio.ByteBuffer;

/**
 * The FADT, "FACP" (ACPI 6.0 §5.2.9, revision 6, 276 bytes): a PC with the ACPI PM device's fixed hardware and no
 * SMM (SMI_CMD = 0, so the OS finds the machine already in ACPI mode), a fixed power button, no GPE blocks, a
 * 24-bit PM timer and a reset register. The 32-bit block addresses and their 64-bit X_ forms agree, as ACPICA
 * checks; the FACS is named only by X_FIRMWARE_CTRL (the specification wants FIRMWARE_CTRL 0 then, and Linux would
 * otherwise install the same FACS twice). Stateless.
 */
final class Fadt {
    /** Flags (offset 112): WBINVD works. */
    static final int WBINVD = 1;
    /** Flags: C1 is supported on every processor. */
    static final int PROC_C1 = 1 << 2;
    /** Flags: the sleep button is not a fixed-feature button (there is none). */
    static final int SLP_BUTTON = 1 << 5;
    /** Flags: the RTC's wake status is not in the fixed register space. */
    static final int FIX_RTC = 1 << 6;
    /** Flags: RESET_REG is supported. */
    static final int RESET_REG_SUP = 1 << 10;
    /** IA-PC boot architecture flags (offset 109): legacy ISA devices (the 16550, the RTC) are present. */
    static final int LEGACY_DEVICES = 1;
    /** IA-PC boot architecture: an 8042 is present (port 0x64, the reset pulse). */
    static final int I8042 = 1 << 1;
    /** IA-PC boot architecture: no VGA hardware to probe. */
    static final int VGA_NOT_PRESENT = 1 << 2;
    /** Length of a revision-6 FADT. */
    static final int LENGTH = 276;
    private static final int SYSTEM_IO = 1;

    private Fadt() {
    }

    /** The FADT pointing at the FACS and the DSDT. */
    static byte[] table(long facsGpa, long dsdtGpa) {
        Table t = new Table("FACP", 6, LENGTH);
        ByteBuffer b = t.body();
        b.putInt(0);                             // 36 FIRMWARE_CTRL: 0, X_FIRMWARE_CTRL is set (ACPI 6.0 5.2.9)
        b.putInt((int) dsdtGpa);                 // 40 DSDT
        b.put((byte) 0);                         // 44 reserved
        b.put((byte) 0);                         // 45 preferred PM profile: unspecified
        b.putShort((short) AcpiTables.SCI_IRQ);  // 46 SCI_INT
        b.putInt(0);                             // 48 SMI_CMD: no SMM, always in ACPI mode
        b.put((byte) 0).put((byte) 0);           // 52 ACPI_ENABLE, 53 ACPI_DISABLE
        b.put((byte) 0).put((byte) 0);           // 54 S4BIOS_REQ, 55 PSTATE_CNT
        b.putInt(AcpiTables.PM1A_EVT_BLK);       // 56 PM1a_EVT_BLK
        b.putInt(0);                             // 60 PM1b_EVT_BLK
        b.putInt(AcpiTables.PM1A_CNT_BLK);       // 64 PM1a_CNT_BLK
        b.putInt(0);                             // 68 PM1b_CNT_BLK
        b.putInt(0);                             // 72 PM2_CNT_BLK
        b.putInt(AcpiTables.PM_TMR_BLK);         // 76 PM_TMR_BLK
        b.putInt(0).putInt(0);                   // 80 GPE0_BLK, 84 GPE1_BLK: none
        b.put((byte) 4);                         // 88 PM1_EVT_LEN: STS and EN, 2 bytes each
        b.put((byte) 2);                         // 89 PM1_CNT_LEN
        b.put((byte) 0);                         // 90 PM2_CNT_LEN
        b.put((byte) 4);                         // 91 PM_TMR_LEN
        b.put((byte) 0).put((byte) 0);           // 92 GPE0_BLK_LEN, 93 GPE1_BLK_LEN
        b.put((byte) 0).put((byte) 0);           // 94 GPE1_BASE, 95 CST_CNT
        b.putShort((short) 101);                 // 96 P_LVL2_LAT > 100: no C2
        b.putShort((short) 1001);                // 98 P_LVL3_LAT > 1000: no C3
        b.putShort((short) 0).putShort((short) 0); // 100 FLUSH_SIZE, 102 FLUSH_STRIDE
        b.put((byte) 0).put((byte) 0);           // 104 DUTY_OFFSET, 105 DUTY_WIDTH
        b.put((byte) 0).put((byte) 0).put((byte) 0); // 106 DAY_ALRM, 107 MON_ALRM, 108 CENTURY: none
        // 109 IAPC_BOOT_ARCH. Bit 3, MSI_NOT_SUPPORTED, stays clear: the interrupt controllers take MSI writes, and
        // Linux, finding it set, turns MSI off for every PCI device (virtio-pci falls back to INTx). Without a PCI
        // bus the bit changes nothing.
        b.putShort((short) (LEGACY_DEVICES | I8042 | VGA_NOT_PRESENT));
        b.put((byte) 0);                         // 111 reserved
        b.putInt(WBINVD | PROC_C1 | SLP_BUTTON | FIX_RTC | RESET_REG_SUP); // 112 flags (PWR_BUTTON 0: fixed)
        Table.putGas(b, SYSTEM_IO, 8, 1, AcpiTables.RESET_REG);           // 116 RESET_REG
        b.put((byte) AcpiTables.RESET_VALUE);    // 128 RESET_VALUE
        b.putShort((short) 0);                   // 129 ARM_BOOT_ARCH
        b.put((byte) 0);                         // 131 FADT minor version: 6.0
        b.putLong(facsGpa);                      // 132 X_FIRMWARE_CTRL
        b.putLong(dsdtGpa);                      // 140 X_DSDT
        Table.putGas(b, SYSTEM_IO, 32, 2, AcpiTables.PM1A_EVT_BLK); // 148 X_PM1a_EVT_BLK
        Table.putGas(b, SYSTEM_IO, 0, 0, 0);                         // 160 X_PM1b_EVT_BLK
        Table.putGas(b, SYSTEM_IO, 16, 2, AcpiTables.PM1A_CNT_BLK); // 172 X_PM1a_CNT_BLK
        Table.putGas(b, SYSTEM_IO, 0, 0, 0);                         // 184 X_PM1b_CNT_BLK
        Table.putGas(b, SYSTEM_IO, 0, 0, 0);                         // 196 X_PM2_CNT_BLK
        Table.putGas(b, SYSTEM_IO, 32, 3, AcpiTables.PM_TMR_BLK);   // 208 X_PM_TMR_BLK
        Table.putGas(b, SYSTEM_IO, 0, 0, 0);                         // 220 X_GPE0_BLK
        Table.putGas(b, SYSTEM_IO, 0, 0, 0);                         // 232 X_GPE1_BLK
        Table.putGas(b, SYSTEM_IO, 0, 0, 0);                         // 244 SLEEP_CONTROL_REG (HW-reduced only)
        Table.putGas(b, SYSTEM_IO, 0, 0, 0);                         // 256 SLEEP_STATUS_REG
        b.putLong(0);                            // 268 hypervisor vendor identity
        return t.finish();
    }
}
