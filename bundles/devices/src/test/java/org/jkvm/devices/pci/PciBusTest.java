package org.jkvm.devices.pci;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;

import org.jkvm.devices.BusDevice;
import org.jkvm.devices.DeviceException;
import org.jkvm.devices.IoBus;
import org.jkvm.devices.IrqLine;
import org.jkvm.devices.RecordingLine;
import org.junit.jupiter.api.Test;

/** Configuration mechanism #1, BAR sizing and placement, MMIO dispatch and INTx routing, through the buses. */
class PciBusTest {
    private final Map<Integer, RecordingLine> isa = new HashMap<>();
    private final PciBus bus = new PciBus(n -> isa.computeIfAbsent(n, k -> new RecordingLine()));
    private final IoBus pio = new IoBus("pio");
    private final IoBus mmio = new IoBus("mmio");

    PciBusTest() {
        pio.register(PciBus.CONFIG_ADDRESS_PORT, 1, bus.addressPort());
        pio.register(PciBus.CONFIG_DATA_PORT, 4, bus.dataPort());
        mmio.register(PciBus.HOLE_BASE, PciBus.HOLE_END - PciBus.HOLE_BASE, bus.mmioWindow());
    }

    /** A function with one memory BAR that remembers the last write and answers reads with its offset. */
    static final class Dummy implements PciDevice {
        final PciConfigSpace config = new PciConfigSpace(0x1234, 0x5678, 0x018000, 3, 0x1af4, 0x1100);
        long lastWriteOffset = -1;
        int lastWriteBar = -1;

        Dummy(int barIndex, long size) {
            config.defineMemoryBar(barIndex, size);
            config.setInterrupt(1, 0);
        }

        @Override
        public PciConfigSpace config() {
            return config;
        }

        @Override
        public void barRead(int bar, long offset, byte[] data) {
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (offset + i);
            }
        }

        @Override
        public void barWrite(int bar, long offset, byte[] data) {
            lastWriteBar = bar;
            lastWriteOffset = offset;
        }
    }

    private int cfgRead(int slot, int reg, int size) {
        byte[] a = le(0x8000_0000 | slot << 11 | (reg & 0xfc), 4);
        pio.write(0xcf8, a);
        byte[] d = new byte[size];
        pio.read(0xcfc + (reg & 3), d);
        return (int) value(d);
    }

    private void cfgWrite(int slot, int reg, int size, int v) {
        pio.write(0xcf8, le(0x8000_0000 | slot << 11 | (reg & 0xfc), 4));
        pio.write(0xcfc + (reg & 3), le(v, size));
    }

    private static byte[] le(long v, int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (v >>> (8 * i));
        }
        return b;
    }

    private static long value(byte[] d) {
        long v = 0;
        for (int i = 0; i < d.length; i++) {
            v |= (d[i] & 0xffL) << (8 * i);
        }
        return v;
    }

    @Test
    void theHostBridgeIsAnI440fxAtSlotZeroAndEmptySlotsReadAllOnes() {
        assertEquals(0x1237_8086, cfgRead(0, 0, 4));
        assertEquals(0x06, cfgRead(0, 0x0b, 1), "base class: bridge");
        assertEquals(0x00, cfgRead(0, 0x0a, 1), "subclass: host bridge");
        assertEquals(0x8086, cfgRead(0, 0, 2));
        assertEquals(0x1237, cfgRead(0, 2, 2), "a word read at 0xCFE reaches register 2");
        assertEquals(-1, cfgRead(5, 0, 4));
        pio.write(0xcf8, le(0x8001_0000, 4)); // bus 1
        byte[] d = new byte[4];
        pio.read(0xcfc, d);
        assertEquals(0xffff_ffffL, value(d));
        pio.write(0xcf8, le(0x0000_0000, 4)); // enable bit clear
        pio.read(0xcfc, d);
        assertEquals(0xffff_ffffL, value(d));
        byte[] a = new byte[4];
        pio.read(0xcf8, a);
        assertEquals(0L, value(a), "the address register reads back what was latched");
        pio.write(0xcf8, new byte[] {(byte) 0x80}); // a byte write is not the address register
        pio.read(0xcf8, a);
        assertEquals(0L, value(a));
    }

    @Test
    void barSizingPlacementAndDispatch() {
        Dummy dev = new Dummy(2, 0x4000);
        bus.attach(3, dev);
        int bar = 0x10 + 4 * 2;
        long base = cfgRead(3, bar, 4) & 0xffff_ffffL;
        assertTrue(base >= PciBus.HOLE_BASE && base + 0x4000 <= PciBus.HOLE_END, Long.toHexString(base));
        assertEquals(0, base % 0x4000, "naturally aligned");
        assertEquals(PciConfigSpace.COMMAND_MEMORY, cfgRead(3, 4, 2) & PciConfigSpace.COMMAND_MEMORY);
        cfgWrite(3, bar, 4, 0xffff_ffff);
        assertEquals(0xffff_c000, cfgRead(3, bar, 4), "sizing: ~(size - 1), 32-bit memory, not prefetchable");
        assertEquals(0, cfgRead(3, 0x10, 4), "an unimplemented BAR reads zero and ignores writes");
        cfgWrite(3, bar, 4, 0xe100_0000);
        byte[] d = new byte[4];
        assertTrue(mmio.read(0xe100_0010L, d));
        assertEquals(0x13121110L, value(d));
        mmio.write(0xe100_3ffcL, new byte[4]);
        assertEquals(2, dev.lastWriteBar);
        assertEquals(0x3ffc, dev.lastWriteOffset);
        cfgWrite(3, 4, 2, 0); // memory decoding off
        assertTrue(mmio.read(0xe100_0010L, d), "the hole is claimed by the bus");
        assertEquals(0xffff_ffffL, value(d), "but nothing answers");
    }

    @Test
    void readOnlyRegistersKeepTheirValues() {
        Dummy dev = new Dummy(0, 0x100);
        bus.attach(4, dev);
        cfgWrite(4, 0, 4, 0);
        assertEquals(0x5678_1234, cfgRead(4, 0, 4));
        cfgWrite(4, 0x3c, 1, 0x55);
        assertEquals(0x55, cfgRead(4, 0x3c, 1), "interrupt line is scratch for the OS");
        assertEquals(1, cfgRead(4, 0x3d, 1), "interrupt pin stays INTA#");
    }

    @Test
    void intxFollowsThePiix3SwizzleAndSharedLinesStayUpWhileAnyDeviceAsserts() {
        assertEquals(11, PciBus.isaIrqFor(3, 1), "slot 3 INTA# is PIRQC");
        assertEquals(10, PciBus.isaIrqFor(1, 1));
        assertEquals(10, PciBus.isaIrqFor(2, 1));
        assertEquals(11, PciBus.isaIrqFor(4, 1));
        assertEquals(10, PciBus.isaIrqFor(5, 1), "PIRQA again");
        Dummy a = new Dummy(0, 0x100);
        Dummy b = new Dummy(0, 0x100);
        IrqLine la = bus.intxLine(3);
        IrqLine lb = bus.intxLine(7);
        bus.attach(3, a);
        bus.attach(7, b);
        assertEquals(11, cfgRead(3, 0x3c, 1), "firmware's interrupt line");
        la.raise();
        lb.raise();
        RecordingLine irq11 = isa.get(11);
        assertTrue(irq11.level());
        assertEquals(1, irq11.edges());
        assertTrue((cfgRead(3, 6, 2) & 8) != 0, "status: interrupt pending");
        la.lower();
        assertTrue(irq11.level(), "slot 7 still asserts");
        lb.lower();
        assertFalse(irq11.level());
        cfgWrite(3, 4, 2, PciConfigSpace.COMMAND_MEMORY | PciConfigSpace.COMMAND_INTX_DISABLE);
        la.raise();
        assertFalse(irq11.level(), "INTx disabled in the command register");
    }

    @Test
    void capabilitiesFormALinkedList() {
        Dummy dev = new Dummy(0, 0x100);
        int first = dev.config.addCapability(new byte[] {0x09, 0, 4, 1});
        int second = dev.config.addCapability(new byte[] {0x09, 0, 6, 2, 0, 0});
        bus.attach(6, dev);
        assertTrue((cfgRead(6, 6, 2) & 0x10) != 0, "status: capabilities list");
        assertEquals(first, cfgRead(6, 0x34, 1));
        assertEquals(second, cfgRead(6, first + 1, 1));
        assertEquals(0, cfgRead(6, second + 1, 1));
        assertEquals(2, cfgRead(6, second + 3, 1));
    }

    @Test
    void attachRefusesTakenAndInvalidSlotsWithASentence() {
        bus.attach(3, new Dummy(0, 0x100));
        DeviceException taken = assertThrows(DeviceException.class, () -> bus.attach(3, new Dummy(0, 0x100)));
        assertTrue(taken.getMessage().contains("PCI slot 3 is taken"), taken.getMessage());
        assertThrows(DeviceException.class, () -> bus.attach(0, new Dummy(0, 0x100)));
        assertThrows(DeviceException.class, () -> bus.attach(32, new Dummy(0, 0x100)));
        assertEquals(2, bus.freeSlot());
        assertThrows(DeviceException.class, () -> new Dummy(0, 24), "not a power of two");
        BusDevice d = bus.mmioWindow();
        assertArrayEquals(new byte[] {-1, -1}, readAt(d, 0x100_0000));
    }

    private static byte[] readAt(BusDevice d, long offset) {
        byte[] b = new byte[2];
        d.read(offset, b);
        return b;
    }
}
