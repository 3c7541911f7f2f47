package org.jkvm.devices.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.devices.DeviceException;
import org.junit.jupiter.api.Test;

/**
 * The MSI-X capability and table (PCI 3.0, 6.8.2): layout, read-only and read-write bits, masking with pending bits,
 * delivery when unmasked, reset, save and restore.
 */
class MsixTableTest {
    private final List<long[]> sent = new ArrayList<>();
    private final PciConfigSpace config = new PciConfigSpace(0x1af4, 0x1042, 0x010000, 1, 0x1af4, 0x1100);
    private final MsixTable msix = new MsixTable(config, 1, 3, (a, d) -> sent.add(new long[] {a, d}));

    MsixTableTest() {
        config.setCommand(PciConfigSpace.COMMAND_MEMORY | PciConfigSpace.COMMAND_BUS_MASTER); // as drivers do
    }

    private long bar(long offset, int size) {
        byte[] d = new byte[size];
        msix.barRead(offset, d);
        long v = 0;
        for (int i = 0; i < size; i++) {
            v |= (d[i] & 0xffL) << (8 * i);
        }
        return v;
    }

    private void bar(long offset, int size, long v) {
        byte[] d = new byte[size];
        for (int i = 0; i < size; i++) {
            d[i] = (byte) (v >>> (8 * i));
        }
        msix.barWrite(offset, d);
    }

    private void control(int value) {
        config.write(msix.capability() + 2, 2, value);
        msix.configWritten(msix.capability() + 2, 2);
    }

    /** Programs entry {@code v} with a message to APIC 0, vector {@code 0x40 + v}, unmasked. */
    private void program(int v) {
        bar(16L * v, 4, 0xfee00000L);
        bar(16L * v + 4, 4, 0);
        bar(16L * v + 8, 4, 0x40 + v);
        bar(16L * v + 12, 4, 0);
    }

    @Test
    void theCapabilityNamesTheTableAndPbaInBarOne() {
        int cap = msix.capability();
        assertEquals(0x11, config.read(cap, 1));
        assertEquals(2, config.read(cap + 2, 2), "table size - 1, disabled, unmasked");
        assertEquals(0x0000_0001, config.read(cap + 4, 4), "table at 0 in BAR 1");
        assertEquals(0x0000_0801, config.read(cap + 8, 4), "PBA at 0x800 in BAR 1");
        assertEquals(MsixTable.BAR_SIZE, config.barSize(1));
        config.write(cap + 2, 2, 0xffff);
        assertEquals(0xc002, config.read(cap + 2, 2), "only enable and function mask are writable");
        config.write(cap + 4, 4, 0xffffffff);
        assertEquals(1, config.read(cap + 4, 4), "the table offset is read-only");
    }

    @Test
    void entriesStartMaskedAndOnlyTheMaskBitOfVectorControlIsWritable() {
        for (int v = 0; v < 3; v++) {
            assertEquals(1, bar(16L * v + 12, 4), "entry " + v + " masked after reset");
        }
        bar(16, 4, 0xfee01000L);
        bar(20, 4, 0x12345678);
        bar(24, 4, 0x4051);
        bar(28, 4, 0xffff_fffeL);
        assertEquals(0x12345678_fee01000L, bar(16, 8));
        assertEquals(0x4051, bar(24, 4));
        assertEquals(0, bar(28, 4), "reserved control bits read as zero");
        bar(0x800, 8, -1L);
        assertEquals(0, bar(0x800, 8), "the PBA is read-only");
        assertEquals(0, bar(0x400, 4), "between table and PBA reads as zero");
    }

    @Test
    void aMessageGoesOutOnlyWhenEnabledAndUnmasked() {
        program(1);
        msix.notify(1);
        assertTrue(sent.isEmpty(), "MSI-X disabled: the caller uses INTx, nothing is sent or pending");
        assertFalse(msix.pending(1));
        control(MsixTable.ENABLE);
        msix.notify(1);
        assertEquals(1, sent.size());
        assertEquals(0xfee00000L, sent.get(0)[0]);
        assertEquals(0x41, sent.get(0)[1]);
        msix.notify(0xffff);
        msix.notify(3);
        assertEquals(1, sent.size(), "vectors outside the table (NO_VECTOR among them) send nothing");
    }

    @Test
    void withoutBusMasteringAMessageGoesNowhere() {
        program(0);
        control(MsixTable.ENABLE);
        config.setCommand(PciConfigSpace.COMMAND_MEMORY);
        msix.notify(0);
        assertTrue(sent.isEmpty(), "a memory write the function may not make");
        assertFalse(msix.pending(0), "nor does it pend");
        config.setCommand(PciConfigSpace.COMMAND_MEMORY | PciConfigSpace.COMMAND_BUS_MASTER);
        msix.notify(0);
        assertEquals(1, sent.size());
    }

    @Test
    void aMaskedEntryPendsAndUnmaskingSendsIt() {
        program(2);
        bar(2 * 16 + 12, 4, 1);
        control(MsixTable.ENABLE);
        msix.notify(2);
        msix.notify(2);
        assertTrue(sent.isEmpty());
        assertTrue(msix.pending(2));
        assertEquals(0b100, bar(0x800, 8), "PBA bit 2");
        bar(2 * 16 + 12, 4, 0);
        assertEquals(1, sent.size(), "two messages while masked are one pending bit, sent once");
        assertEquals(0x42, sent.get(0)[1]);
        assertFalse(msix.pending(2));
        assertEquals(0, bar(0x800, 8));
    }

    @Test
    void theFunctionMaskPendsEveryVectorUntilCleared() {
        program(0);
        program(1);
        control(MsixTable.ENABLE | MsixTable.FUNCTION_MASK);
        msix.notify(0);
        msix.notify(1);
        assertTrue(sent.isEmpty());
        assertEquals(0b11, bar(0x800, 8));
        control(MsixTable.ENABLE);
        assertEquals(2, sent.size());
        assertEquals(0x40, sent.get(0)[1]);
        assertEquals(0x41, sent.get(1)[1]);
    }

    @Test
    void saveAndRestoreCarryTheTableAndPendingBits() {
        program(1);
        bar(16 + 12, 4, 1);
        control(MsixTable.ENABLE);
        msix.notify(1);
        List<MsixEntry> saved = msix.save();
        assertEquals(new MsixEntry(0xfee00000L, 0x41, 1, true), saved.get(1));
        assertEquals(MsixEntry.RESET, saved.get(0));

        List<long[]> sent2 = new ArrayList<>();
        PciConfigSpace config2 = new PciConfigSpace(0x1af4, 0x1042, 0x010000, 1, 0x1af4, 0x1100);
        MsixTable other = new MsixTable(config2, 1, 3, (a, d) -> sent2.add(new long[] {a, d}));
        config2.restore(config.snapshot());
        other.restore(saved);
        assertTrue(other.enabled());
        assertTrue(other.pending(1));
        assertTrue(sent2.isEmpty(), "restoring sends nothing: the entry is still masked");
        other.barWrite(16 + 12, new byte[4]);
        assertEquals(1, sent2.size());
        assertEquals(0x41, sent2.get(0)[1]);

        MsixTable small = new MsixTable(new PciConfigSpace(1, 2, 3, 0, 1, 2), 1, 2, MsiSink.NONE);
        DeviceException e = assertThrows(DeviceException.class, () -> small.restore(saved));
        assertEquals("a saved MSI-X table has 3 vectors, this function's has 2; the two ends run devices with "
                + "different vectors= settings", e.getMessage());
    }

    @Test
    void resetDisablesAndMasksEverything() {
        program(0);
        control(MsixTable.ENABLE | MsixTable.FUNCTION_MASK);
        msix.notify(0);
        msix.reset();
        assertFalse(msix.enabled());
        assertFalse(msix.functionMasked());
        assertFalse(msix.pending(0));
        assertEquals(1, bar(12, 4));
        assertEquals(0, bar(0, 8));
        assertThrows(DeviceException.class, () -> new MsixTable(config, 2, 129, MsiSink.NONE));
    }
}
