package org.jkvm.devices.serial;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;

import org.jkvm.devices.ManualClock;
import org.jkvm.devices.RecordingLine;
import org.junit.jupiter.api.Test;

/** The 16550's interrupts as Linux's 8250 driver probes and uses them, with the character timeout on a clock. */
class Serial16550InterruptTest {
    static final long US = 1000L;

    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final RecordingLine irq = new RecordingLine();
    final ManualClock clock = new ManualClock(0);
    final Serial16550 uart = new Serial16550(irq, out::write, clock);

    int in(int reg) {
        byte[] d = new byte[1];
        uart.read(reg, d);
        return d[0] & 0xff;
    }

    void outb(int reg, int v) {
        uart.write(reg, new byte[] {(byte) v});
    }

    /** 115200 baud 8N1, FIFOs on with {@code fcr}, received-data and line-status interrupts enabled. */
    void open(int fcr) {
        outb(3, 0x83);
        outb(0, 1);
        outb(1, 0);
        outb(3, 0x03);
        outb(2, fcr);
        outb(1, 0x05);
    }

    @Test
    void linuxsAutoconfigFindsA16550aWithWorkingLoopback() {
        outb(1, 0);
        assertEquals(0, in(1));
        outb(1, 0x0f);
        assertEquals(0x0f, in(1), "IER keeps its four bits");
        outb(1, 0);
        outb(4, 0x10); // loopback, all outputs off
        assertEquals(0x00, in(6) & 0xf0);
        outb(4, 0x1a); // loopback, OUT2 and RTS
        assertEquals(0x90, in(6) & 0xf0, "DCD follows OUT2, CTS follows RTS");
        outb(4, 0x00);
        outb(2, 0x01);
        assertEquals(0xc0, in(2) & 0xc0, "FIFOs enabled: a 16550A");
        outb(2, 0x21 | 0x80);
        assertEquals(0, in(2) & 0x20, "no 64-byte FIFO bit: not a 16750");
    }

    @Test
    void theThreTestAtStartupSeesTheInterruptReasserted() {
        outb(1, 0x02);
        int iir1 = in(2);
        outb(1, 0);
        outb(1, 0x02);
        int iir = in(2);
        outb(1, 0);
        assertEquals(0x02, iir1 & 0x0f);
        assertEquals(0x02, iir & 0x0f, "a real 16550 reasserts THRE while the transmitter is idle");
        assertEquals(2, irq.edges());
        assertFalse(irq.level());
    }

    @Test
    void dataAtTheTriggerLevelInterruptsAtOnceBelowItAfterFourCharacterTimes() {
        open(0x41); // FIFO, trigger 4
        uart.receive(new byte[] {'a', 'b'}, 0, 2);
        assertFalse(irq.level(), "two bytes are below the trigger level");
        assertEquals(0x01, in(2) & 0x0f);
        long fourChars = 4 * 10 * 1_000_000_000L / 115_200; // 347 us
        clock.advance(fourChars - US);
        assertFalse(irq.level());
        clock.advance(US);
        assertTrue(irq.level(), "character timeout");
        assertEquals(0x0c, in(2) & 0x0f);
        assertEquals('a', in(0));
        assertFalse(irq.level(), "reading RBR clears the timeout and restarts its count");
        clock.advance(fourChars);
        assertEquals(0x0c, in(2) & 0x0f, "one byte left, four more character times");
        assertEquals('b', in(0));
        assertEquals(0x01, in(2) & 0x0f);
        uart.receive(new byte[] {1, 2, 3, 4}, 0, 4);
        assertEquals(0x04, in(2) & 0x0f, "four bytes reach the trigger: received data at once");
        assertEquals(3, irq.edges());
    }

    @Test
    void withoutAClockTheTimeoutIsAtOnce() {
        Serial16550 noClock = new Serial16550(irq, out::write);
        noClock.write(2, new byte[] {(byte) 0xc1}); // trigger 14
        noClock.write(1, new byte[] {1});
        noClock.receive(new byte[] {'x'}, 0, 1);
        byte[] d = new byte[1];
        noClock.read(2, d);
        assertEquals(0x0c, d[0] & 0x0f);
        assertTrue(irq.level());
    }

    @Test
    void iirReportsTheHighestPriorityAndTheLineFallsOnlyWhenAllAreServed() {
        open(0x01);
        outb(1, 0x0f);
        assertEquals(0x02, in(2) & 0x0f, "THRE first of all (it was just enabled); reading IIR clears it");
        byte[] lots = new byte[Serial16550.RX_CAPACITY + 1];
        uart.receive(lots, 0, lots.length);
        outb(4, 0x01); // DTR on: no change of the modem inputs outside loopback
        assertEquals(0x06, in(2) & 0x0f, "overrun: receiver line status first");
        assertEquals(0x02, in(5) & 0x02);
        assertEquals(0x04, in(2) & 0x0f, "then received data");
        outb(2, 0x03); // clear the receive FIFO
        outb(4, 0x11); // loopback with DTR: DSR changes
        assertEquals(0x00, in(2) & 0x0f, "then modem status");
        in(6);
        assertEquals(0x01, in(2) & 0x0f);
        assertFalse(irq.level());
    }

    @Test
    void aWriteToThrIsANewThreInterruptWhichLinuxsTxLoopServes() {
        outb(1, 0x02);
        in(2);
        int edges = irq.edges();
        outb(0, 'a');
        assertTrue(irq.level(), "THR empty again at once");
        assertEquals(edges + 1, irq.edges());
        outb(1, 0); // the driver stops transmitting: IER without THRI
        assertFalse(irq.level());
        assertEquals("a", out.toString());
    }

    @Test
    void theTimeoutIndicationSurvivesSaveAndRestore() {
        open(0x81); // trigger 8
        uart.receive(new byte[] {'q'}, 0, 1);
        clock.advance(1_000_000L);
        Serial16550State s = uart.save();
        assertTrue(s.timeoutPending());
        RecordingLine line = new RecordingLine();
        Serial16550 copy = new Serial16550(line, out::write, new ManualClock(99));
        copy.restore(Serial16550State.decode(s.encode()));
        assertTrue(line.level());
        byte[] d = new byte[1];
        copy.read(2, d);
        assertEquals(0x0c, d[0] & 0x0f);
    }
}
