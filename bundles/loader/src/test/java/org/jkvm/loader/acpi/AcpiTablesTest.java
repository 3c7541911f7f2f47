package org.jkvm.loader.acpi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.jkvm.loader.LoaderException;
import org.jkvm.memory.GuestMemory;
import org.junit.jupiter.api.Test;

/** Writes the tables into RAM, then finds and parses them as an OS does: RSDP scan, checksums, pointers. */
class AcpiTablesTest {
    private final byte[] ram = new byte[1 << 20];
    private final GuestMemory memory = new ArrayMemory(ram);
    private final ByteBuffer le = ByteBuffer.wrap(ram).order(ByteOrder.LITTLE_ENDIAN);

    private String sig(long gpa) {
        return new String(ram, (int) gpa, 4, StandardCharsets.US_ASCII);
    }

    private int sum(long gpa, int length) {
        int s = 0;
        for (int i = 0; i < length; i++) {
            s += ram[(int) gpa + i];
        }
        return s & 0xff;
    }

    /** The table at {@code gpa} with a valid checksum over its length. */
    private int table(long gpa, String signature) {
        assertEquals(signature, sig(gpa));
        int length = le.getInt((int) gpa + 4);
        assertEquals(0, sum(gpa, length), signature + " checksum");
        return length;
    }

    private long findRsdp() {
        for (int at = 0xE0000; at < 0x100000; at += 16) {
            if (new String(ram, at, 8, StandardCharsets.US_ASCII).equals("RSD PTR ")) {
                return at;
            }
        }
        throw new AssertionError("no RSDP in 0xE0000-0xFFFFF");
    }

    @Test
    void tablesAreFoundAndConsistent() {
        long rsdp = AcpiTables.write(memory, 2);
        assertEquals(rsdp, findRsdp());
        assertEquals(0, sum(rsdp, 20), "RSDP checksum");
        assertEquals(0, sum(rsdp, 36), "RSDP extended checksum");
        assertEquals(2, ram[(int) rsdp + 15], "revision");
        long rsdt = le.getInt((int) rsdp + 16) & 0xffffffffL;
        long xsdt = le.getLong((int) rsdp + 24);
        int xlen = table(xsdt, "XSDT");
        int rlen = table(rsdt, "RSDT");
        List<Long> viaX = new ArrayList<>();
        for (int off = 36; off < xlen; off += 8) {
            viaX.add(le.getLong((int) xsdt + off));
        }
        List<Long> viaR = new ArrayList<>();
        for (int off = 36; off < rlen; off += 4) {
            viaR.add(le.getInt((int) rsdt + off) & 0xffffffffL);
        }
        assertEquals(viaX, viaR, "RSDT and XSDT list the same tables");
        assertEquals(2, viaX.size());
        long fadt = viaX.get(0);
        long madt = viaX.get(1);
        checkFadt(fadt);
        checkMadt(madt);
    }

    private void checkFadt(long fadt) {
        int f = (int) fadt;
        assertEquals(276, table(fadt, "FACP"));
        assertEquals(6, ram[f + 8], "revision");
        assertEquals(0, le.getInt(f + 36), "FIRMWARE_CTRL: 0 when X_FIRMWARE_CTRL is given");
        long facs = le.getLong(f + 132);
        long dsdt = le.getInt(f + 40) & 0xffffffffL;
        assertEquals(dsdt, le.getLong(f + 140), "X_DSDT");
        assertEquals("FACS", sig(facs));
        assertEquals(0, facs % 64, "FACS is 64-byte aligned");
        int dlen = table(dsdt, "DSDT");
        byte[] aml = new byte[dlen - 36];
        System.arraycopy(ram, (int) dsdt + 36, aml, 0, aml.length);
        assertArrayEquals(new byte[] {0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0A, 5, 0x0A, 5, 0, 0},
                Arrays.copyOf(aml, 15), "\\_S5 first");
        assertArrayEquals(Dsdt.pciRoot(), Arrays.copyOfRange(aml, 15, aml.length), "then \\_SB.PCI0");
        assertEquals(9, le.getShort(f + 46), "SCI_INT");
        assertEquals(0, le.getInt(f + 48), "SMI_CMD: always in ACPI mode");
        assertEquals(0x600, le.getInt(f + 56), "PM1a_EVT_BLK");
        assertEquals(0x604, le.getInt(f + 64), "PM1a_CNT_BLK");
        assertEquals(0x608, le.getInt(f + 76), "PM_TMR_BLK");
        assertEquals(4, ram[f + 88]);
        assertEquals(2, ram[f + 89]);
        assertEquals(4, ram[f + 91]);
        assertEquals(0x7, le.getShort(f + 109), "IAPC_BOOT_ARCH: legacy devices, 8042, no VGA; MSI not refused");
        int flags = le.getInt(f + 112);
        assertEquals(0, flags & (1 << 4), "PWR_BUTTON clear: the power button is the fixed one");
        assertEquals(1 << 10, flags & (1 << 10), "RESET_REG_SUP");
        assertEquals(0, flags & (1 << 8), "TMR_VAL_EXT clear: 24-bit PM timer");
        assertEquals(1, ram[f + 116], "reset register in system I/O space");
        assertEquals(0x60c, le.getLong(f + 120));
        assertEquals(6, ram[f + 128], "RESET_VALUE");
        assertEquals(0x600, le.getLong(f + 152), "X_PM1a_EVT_BLK = PM1a_EVT_BLK");
        assertEquals(32, ram[f + 149], "X_PM1a_EVT_BLK bit width");
        assertEquals(0x604, le.getLong(f + 176), "X_PM1a_CNT_BLK");
        assertEquals(0x608, le.getLong(f + 212), "X_PM_TMR_BLK");
    }

    private void checkMadt(long madt) {
        int m = (int) madt;
        int length = table(madt, "APIC");
        assertEquals(0xFEE00000, le.getInt(m + 36));
        assertEquals(1, le.getInt(m + 40), "PCAT_COMPAT");
        List<String> entries = new ArrayList<>();
        for (int at = m + 44; at < m + length; at += ram[at + 1]) {
            int type = ram[at];
            switch (type) {
                case 0 -> entries.add("lapic uid=" + ram[at + 2] + " id=" + ram[at + 3] + " flags="
                        + le.getInt(at + 4));
                case 1 -> entries.add("ioapic id=" + ram[at + 2] + " addr=" + Integer.toHexString(le.getInt(at + 4))
                        + " gsi=" + le.getInt(at + 8));
                case 2 -> entries.add("iso irq=" + ram[at + 3] + " gsi=" + le.getInt(at + 4) + " flags="
                        + le.getShort(at + 8));
                case 4 -> entries.add("nmi uid=" + (ram[at + 2] & 0xff) + " lint=" + ram[at + 5]);
                default -> throw new AssertionError("unexpected MADT entry type " + type);
            }
        }
        assertEquals(List.of("lapic uid=0 id=0 flags=1", "lapic uid=1 id=1 flags=1",
                "ioapic id=0 addr=fec00000 gsi=0", "iso irq=0 gsi=2 flags=0", "iso irq=9 gsi=9 flags=13",
                "nmi uid=255 lint=1"), entries);
    }

    @Test
    void refusesImpossibleCpuCounts() {
        LoaderException e = assertThrows(LoaderException.class, () -> AcpiTables.write(memory, 0));
        assertEquals("the ACPI tables describe 1 to 255 vCPUs, not 0; change -smp", e.getMessage());
    }

    /** One MiB of RAM at gpa 0 over a byte array. */
    private static final class ArrayMemory implements GuestMemory {
        private final byte[] ram;

        ArrayMemory(byte[] ram) {
            this.ram = ram;
        }

        @Override
        public List<org.jkvm.memory.MemoryRegion> regions() {
            return List.of();
        }

        @Override
        public void read(long gpa, ByteBuffer dst) {
            dst.put(ram, (int) gpa, dst.remaining());
        }

        @Override
        public void write(long gpa, ByteBuffer src) {
            src.get(ram, (int) gpa, src.remaining());
        }

        @Override
        public void close() {
        }
    }
}
