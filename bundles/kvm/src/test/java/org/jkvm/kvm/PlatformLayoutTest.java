package org.jkvm.kvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Kernel layouts of the irqchip, PIT, local APIC and routing structures, read and written at exact offsets. */
class PlatformLayoutTest {
    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void picStateIsSixteenBytesInFieldOrder() {
        KvmPicState s = new KvmPicState(1, 2, 3, 4, 5, 0x08, 1, 0, 1, 2, 1, 0, 1, 1, 0xa0, 0xf8);
        ByteBuffer b = le(8 + KvmPicState.SIZE);
        s.write(b, 8);
        assertEquals(1, b.get(8)); // last_irr
        assertEquals(3, b.get(10)); // imr
        assertEquals(0x08, b.get(13)); // irq_base
        assertEquals(2, b.get(17)); // init_state
        assertEquals((byte) 0xa0, b.get(22)); // elcr
        assertEquals((byte) 0xf8, b.get(23)); // elcr_mask
        assertEquals(s, KvmPicState.read(b, 8));
        assertThrows(IllegalArgumentException.class,
                () -> new KvmPicState(0x100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    }

    @Test
    void ioapicStateHasTheTableAtTwentyFour() {
        long[] t = new long[KvmIoapicState.PINS];
        for (int i = 0; i < t.length; i++) {
            t[i] = 0x0100_0000_0001_0020L + i;
        }
        KvmIoapicState s = new KvmIoapicState(0xfec00000L, 0x12, 3, 0x10, t);
        ByteBuffer b = le(KvmIoapicState.SIZE);
        s.write(b, 0);
        assertEquals(0xfec00000L, b.getLong(0));
        assertEquals(0x12, b.getInt(8));
        assertEquals(3, b.getInt(12));
        assertEquals(0x10, b.getInt(16));
        assertEquals(t[0], b.getLong(24));
        assertEquals(t[23], b.getLong(24 + 23 * 8));
        assertEquals(s, KvmIoapicState.read(b, 0));
        t[0] = 0;
        assertEquals(0x0100_0000_0001_0020L, s.redirtbl()[0], "the table is copied in");
    }

    @Test
    void pitStateHasThreeChannelsOfTwentyFourBytesThenFlags() {
        KvmPitState2.Channel c0 = new KvmPitState2.Channel(0x10000, 0x1234, 3, 1, 0x36, 3, 4, 0x9c, 3, 2, 0, 1,
                -5_000_000_000L);
        KvmPitState2.Channel c2 = new KvmPitState2.Channel(11932, 0, 0, 0, 0, 1, 1, 0, 1, 0xff, 1, 0, 42L);
        KvmPitState2 s = new KvmPitState2(List.of(c0, c0, c2), KvmPitState2.FLAG_SPEAKER_DATA_ON);
        ByteBuffer b = le(KvmPitState2.SIZE);
        s.write(b, 0);
        assertEquals(0x10000, b.getInt(0));
        assertEquals(0x1234, b.getShort(4));
        assertEquals(3, b.get(6)); // count_latched
        assertEquals(0x36, b.get(8)); // status
        assertEquals(2, b.get(13)); // mode
        assertEquals(1, b.get(15)); // gate
        assertEquals(-5_000_000_000L, b.getLong(16));
        assertEquals(11932, b.getInt(48));
        assertEquals((byte) 0xff, b.get(48 + 13));
        assertEquals(42L, b.getLong(48 + 16));
        assertEquals(2, b.getInt(72));
        assertEquals(s, KvmPitState2.read(b, 0));
        assertThrows(IllegalArgumentException.class, () -> new KvmPitState2(List.of(c0), 0));
    }

    @Test
    void lapicStateIsAKilobyte() {
        byte[] page = new byte[KvmLapicState.SIZE];
        page[0x20 + 3] = 1;
        KvmLapicState s = new KvmLapicState(page);
        page[0x20 + 3] = 2;
        assertEquals(1, s.regs()[0x23], "copied in");
        assertArrayEquals(s.regs(), new KvmLapicState(s.regs()).regs());
        assertThrows(IllegalArgumentException.class, () -> new KvmLapicState(new byte[4096]));
    }

    @Test
    void anIrqchipRouteNamesChipAndPinAtSixteen() {
        ByteBuffer b = le(IrqRoute.SIZE);
        for (int i = 0; i < IrqRoute.SIZE; i++) {
            b.put(i, (byte) 0x5a);
        }
        new IrqRoute(9, IrqRoute.IOAPIC, 9).write(b, 0);
        assertEquals(9, b.getInt(0));
        assertEquals(IrqRoute.TYPE_IRQCHIP, b.getInt(4));
        assertEquals(0, b.getInt(8), "flags");
        assertEquals(IrqRoute.IOAPIC, b.getInt(16));
        assertEquals(9, b.getInt(20));
        assertEquals(0, b.getInt(44), "padding zeroed");
    }
}
