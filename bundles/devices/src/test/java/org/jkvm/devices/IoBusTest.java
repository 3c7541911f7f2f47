package org.jkvm.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class IoBusTest {
    /** Records offsets and answers reads with the offset. */
    private static final class Probe implements BusDevice {
        final List<Long> writes = new ArrayList<>();

        @Override
        public void read(long offset, byte[] data) {
            data[0] = (byte) offset;
        }

        @Override
        public void write(long offset, byte[] data) {
            writes.add(offset);
        }
    }

    @Test
    void dispatchesByRangeWithRelativeOffsets() {
        IoBus bus = new IoBus("pio");
        Probe serial = new Probe();
        Probe exit = new Probe();
        bus.register(0x3f8, 8, serial);
        bus.register(0xf4, 1, exit);
        bus.register(0x80, 1, new IgnoredPort("post"));
        byte[] d = new byte[1];
        assertTrue(bus.read(0x3fd, d));
        assertEquals(5, d[0]);
        assertTrue(bus.write(0xf4, d));
        assertEquals(List.of(0L), exit.writes);
        assertFalse(bus.read(0x3f7, d));
        assertFalse(bus.write(0x400, d));
        assertSame(serial, bus.deviceAt(0x3ff));
        assertEquals(null, bus.deviceAt(0x81));
    }

    @Test
    void overlappingRangesAreRefused() {
        IoBus bus = new IoBus("mmio");
        bus.register(0x1000, 0x100, new Probe());
        DeviceException e = assertThrows(DeviceException.class, () -> bus.register(0x10ff, 2, new Probe()));
        assertTrue(e.getMessage().contains("overlaps"), e.getMessage());
        assertThrows(DeviceException.class, () -> bus.register(0x2000, 0, new Probe()));
    }

    @Test
    void debugExitReportsTheValueAndPowerControlTheRequest() {
        int[] status = {-1};
        DebugExit exit = new DebugExit(v -> status[0] = v);
        exit.write(0, new byte[] {(byte) 0x83});
        assertEquals(0x83, status[0]);
        PowerControl power = new PowerControl();
        byte[] d = new byte[1];
        power.read(0, d);
        assertEquals(0, d[0]);
        power.requestShutdown();
        power.read(0, d);
        assertEquals(0xA5, d[0] & 0xff);
        power.reset();
        power.read(0, d);
        assertEquals(0, d[0]);
        IgnoredPort post = new IgnoredPort("post");
        post.write(0, new byte[] {0x12});
        post.read(0, d);
        assertEquals(0xff, d[0] & 0xff);
        assertEquals(0x12, post.lastWritten());
    }
}
