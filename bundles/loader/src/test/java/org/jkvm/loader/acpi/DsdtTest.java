package org.jkvm.loader.acpi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

/**
 * The DSDT's AML read back by hand against ACPI 6.0 §20 and §6.4: PkgLength at its size boundaries, the EISA id,
 * and the PCI root bridge's names, resources and routing table.
 */
class DsdtTest {
    /** Reads a PkgLength at {@code at}: {length, bytes it took}. */
    private static int[] pkgLength(byte[] a, int at) {
        int lead = a[at] & 0xFF;
        int follow = lead >> 6;
        if (follow == 0) {
            return new int[] {lead & 0x3F, 1};
        }
        int len = lead & 0xF;
        for (int i = 0; i < follow; i++) {
            len |= (a[at + 1 + i] & 0xFF) << (4 + 8 * i);
        }
        return new int[] {len, 1 + follow};
    }

    @Test
    void pkgLengthCountsItselfAndGrowsAtTheGrammarsBoundaries() {
        for (int n : new int[] {0, 62, 63, 64, 4093, 4094, 5000, 1 << 20}) {
            byte[] p = Aml.pkg(new byte[n]);
            int[] l = pkgLength(p, 0);
            assertEquals(p.length, l[0], "PkgLength of " + n + " bytes counts the whole package");
            assertEquals(n < 63 ? 1 : n < 4094 ? 2 : n < (1 << 20) - 3 ? 3 : 4, l[1], "bytes for " + n);
        }
    }

    @Test
    void integersAndTheEisaId() {
        assertArrayEquals(new byte[] {0}, Aml.integer(0));
        assertArrayEquals(new byte[] {1}, Aml.integer(1));
        assertArrayEquals(new byte[] {0x0A, 10}, Aml.integer(10));
        assertArrayEquals(new byte[] {0x0B, (byte) 0xFF, (byte) 0xFF}, Aml.integer(0xFFFF));
        assertArrayEquals(new byte[] {0x0C, (byte) 0xFF, (byte) 0xFF, 0x1F, 0}, Aml.integer(0x1FFFFF));
        // EisaId ("PNP0A03") is 0x030AD041, the PCI root bridge's id as every DSDT spells it
        assertArrayEquals(new byte[] {0x0C, 0x41, (byte) 0xD0, 0x0A, 0x03}, Aml.eisaId("PNP0A03"));
    }

    @Test
    void thePciRootBridgeWithItsWindowsAndRouting() {
        byte[] a = Dsdt.pciRoot();
        assertEquals(0x10, a[0], "ScopeOp");
        int[] scope = pkgLength(a, 1);
        assertEquals(a.length - 1, scope[0], "the scope holds everything");
        int at = 1 + scope[1];
        assertEquals("\\_SB_", new String(a, at, 5, StandardCharsets.US_ASCII));
        at += 5;
        assertArrayEquals(new byte[] {0x5B, (byte) 0x82}, Arrays.copyOfRange(a, at, at + 2), "DeviceOp");
        int[] dev = pkgLength(a, at + 2);
        assertEquals(a.length - at - 2, dev[0], "the device ends with the scope");
        at += 2 + dev[1];
        assertEquals("PCI0", new String(a, at, 4, StandardCharsets.US_ASCII));
        String body = new String(a, StandardCharsets.ISO_8859_1);
        assertEquals(at + 4, body.indexOf("\u0008_HID\u000c\u0041\u00d0\n\u0003"), "_HID follows the name");
        int crs = body.indexOf("\u0008_CRS\u0011");
        int[] buf = pkgLength(a, crs + 6);
        int size = a[crs + 6 + buf[1]] == 0x0A ? a[crs + 7 + buf[1]] & 0xFF : -1;
        byte[] res = Dsdt.rootResources();
        assertEquals(res.length, size, "BufferSize");
        assertArrayEquals(res, Arrays.copyOfRange(a, crs + 8 + buf[1], crs + 8 + buf[1] + res.length));
        int prt = body.indexOf("\u0008_PRT\u0012");
        int[] pl = pkgLength(a, prt + 6);
        assertEquals(a.length, prt + 6 + pl[0], "_PRT ends the device");
        assertEquals(128, a[prt + 6 + pl[1]] & 0xFF, "32 slots x 4 pins");
        int[] pos = {prt + 7 + pl[1]};
        // slot S pin P (0 = INTA#) reaches PIRQ (S - 1 + P) & 3; PIRQA/B are IRQ 10, PIRQC/D IRQ 11
        int[] irq = {10, 10, 11, 11};
        for (int slot = 0; slot < 32; slot++) {
            for (int pin = 0; pin < 4; pin++) {
                assertEquals(0x12, a[pos[0]], "PackageOp");
                int[] l = pkgLength(a, pos[0] + 1);
                int next = pos[0] + 1 + l[0];
                assertEquals(4, a[pos[0] + 1 + l[1]], "NumElements");
                pos[0] += 2 + l[1];
                assertEquals((long) slot << 16 | 0xFFFF, integer(a, pos), "address of slot " + slot);
                assertEquals(pin, integer(a, pos), "pin");
                assertEquals(0, integer(a, pos), "source 0: the last element is a GSI");
                assertEquals(irq[(slot + 3 + pin) & 3], integer(a, pos), "GSI of slot " + slot + " pin " + pin);
                assertEquals(next, pos[0], "the package ends after its four elements");
            }
        }
        assertEquals(a.length, pos[0]);
        assertEquals(10, irq[(2 - 1 + 0) & 3], "the first free slot, 2, raises INTA# on IRQ 10");
    }

    /** Reads an AML integer (ZeroOp, OneOp, Byte/Word/DWordPrefix) at pos[0] and moves past it. */
    private static long integer(byte[] a, int[] pos) {
        int op = a[pos[0]++] & 0xFF;
        int n = op == 0x0A ? 1 : op == 0x0B ? 2 : op == 0x0C ? 4 : 0;
        if (n == 0) {
            assertTrue(op == 0 || op == 1, "integer op " + op);
            return op;
        }
        long v = 0;
        for (int i = 0; i < n; i++) {
            v |= (a[pos[0]++] & 0xFFL) << (8 * i);
        }
        return v;
    }

    @Test
    void theRootResourcesAreTheBusTheConfigPortsAndTheWindows() {
        ByteBuffer r = ByteBuffer.wrap(Dsdt.rootResources()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals((byte) 0x88, r.get(0), "Word Address Space");
        assertEquals(2, r.get(3), "bus numbers");
        assertEquals(0xFF, r.getShort(10) & 0xFFFF, "bus max");
        assertEquals(0x100, r.getShort(14) & 0xFFFF, "256 buses");
        assertEquals(0x47, r.get(16), "I/O port descriptor");
        assertEquals(0xCF8, r.getShort(18) & 0xFFFF);
        assertEquals(8, r.get(23), "0xCF8-0xCFF");
        assertEquals(1, r.get(27), "I/O window");
        assertEquals(0xCF7, r.getShort(34) & 0xFFFF);
        assertEquals(0xD00, r.getShort(48) & 0xFFFF);
        assertEquals(0xF300, r.getShort(54) & 0xFFFF, "0xD00-0xFFFF");
        assertEquals((byte) 0x87, r.get(56), "DWord Address Space");
        assertEquals(0, r.get(59), "memory");
        assertEquals(0xE000_0000, r.getInt(66));
        assertEquals(0xFEBF_FFFF, r.getInt(70));
        assertEquals(0x1EC0_0000, r.getInt(78), "length");
        assertEquals(0x79, r.get(82), "end tag");
        assertEquals(84, r.limit());
    }
}
