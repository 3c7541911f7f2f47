package org.jkvm.loader.acpi;

import java.nio.ByteBuffer;

import org.jkvm.loader.X86Layout;

/**
 * The MADT, "APIC" (ACPI 6.0 §5.2.12, revision 4): the local APIC address, PCAT_COMPAT (a dual 8259 is present
 * and must be masked before the APICs are used), then interrupt controller structures:
 *
 * <pre>
 * type 0, 8 bytes   processor local APIC: ACPI processor UID, APIC id, flags (bit 0 enabled), one per vCPU
 * type 1, 12 bytes  I/O APIC: id 0, reserved, address 0xFEC00000, GSI base 0
 * type 2, 10 bytes  interrupt source override: bus 0 (ISA), source IRQ, GSI, flags
 *                   IRQ 0 -&gt; GSI 2 (flags 0: as the bus says, edge/high); IRQ 9 -&gt; GSI 9, level, active high
 * type 4, 6 bytes   local APIC NMI: every processor (UID 0xFF), flags 0, LINT1
 * </pre>
 *
 * Stateless.
 */
final class Madt {
    /** MADT flags: a PC-AT dual 8259 is present. */
    static final int PCAT_COMPAT = 1;
    /** Override flags: polarity active high (01), trigger level (11 &lt;&lt; 2). */
    static final int LEVEL_HIGH = 0x0D;

    private Madt() {
    }

    /** The MADT for {@code vcpus} processors with APIC ids 0 .. vcpus - 1. */
    static byte[] table(int vcpus) {
        Table t = new Table("APIC", 4, Table.HEADER + 8 + 8 * vcpus + 12 + 2 * 10 + 6);
        ByteBuffer b = t.body();
        b.putInt((int) X86Layout.LAPIC_GPA);
        b.putInt(PCAT_COMPAT);
        for (int id = 0; id < vcpus; id++) {
            b.put((byte) 0).put((byte) 8).put((byte) id).put((byte) id).putInt(1);
        }
        b.put((byte) 1).put((byte) 12).put((byte) 0).put((byte) 0).putInt((int) X86Layout.IOAPIC_GPA).putInt(0);
        putOverride(b, 0, 2, 0);
        putOverride(b, AcpiTables.SCI_IRQ, AcpiTables.SCI_IRQ, LEVEL_HIGH);
        b.put((byte) 4).put((byte) 6).put((byte) 0xFF).putShort((short) 0).put((byte) 1);
        return t.finish();
    }

    private static void putOverride(ByteBuffer b, int irq, int gsi, int flags) {
        b.put((byte) 2).put((byte) 10).put((byte) 0).put((byte) irq).putInt(gsi).putShort((short) flags);
    }
}
