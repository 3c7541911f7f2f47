package org.jkvm.devices.serial;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import org.jkvm.devices.IrqLine;
import org.junit.jupiter.api.Test;

class Serial16550Test {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final boolean[] irq = new boolean[1];
    private final Serial16550 uart = new Serial16550(new IrqLine() {
        @Override
        public void raise() {
            irq[0] = true;
        }

        @Override
        public void lower() {
            irq[0] = false;
        }
    }, out::write);

    private int in(int reg) {
        byte[] d = new byte[1];
        uart.read(reg, d);
        return d[0] & 0xff;
    }

    private void outb(int reg, int v) {
        uart.write(reg, new byte[] {(byte) v});
    }

    @Test
    void thrSendsBytesAndLsrStaysEmpty() {
        for (byte b : "hi\n".getBytes(StandardCharsets.US_ASCII)) {
            assertEquals(0x60, in(5) & 0x60, "THRE and TEMT set before each byte");
            outb(0, b);
        }
        assertEquals("hi\n", out.toString(StandardCharsets.US_ASCII));
    }

    @Test
    void divisorLatchIsReachedThroughDlab() {
        outb(3, 0x83);
        outb(0, 0x01);
        outb(1, 0x00);
        assertEquals(1, in(0));
        assertEquals(0, in(1));
        outb(3, 0x03);
        outb(0, 'x');
        assertEquals("x", out.toString(StandardCharsets.US_ASCII), "after DLAB=0 offset 0 is THR again");
        assertEquals(0, in(1), "IER untouched by the divisor write");
        Serial16550State s = uart.save();
        assertEquals(1, s.dll());
        assertEquals(0x03, s.lcr());
    }

    @Test
    void receivedBytesSetDataReadyAndRaiseRdaInterrupt() {
        outb(1, 0x01);
        assertEquals(0x01, in(2) & 0x0f, "no interrupt pending yet");
        assertFalse(irq[0]);
        uart.receive("ab".getBytes(StandardCharsets.US_ASCII), 0, 2);
        assertTrue(irq[0]);
        assertEquals(0x01, in(5) & 0x01);
        assertEquals(0x04, in(2) & 0x0f, "IIR reports received data");
        assertEquals('a', in(0));
        assertEquals('b', in(0));
        assertEquals(0, in(5) & 0x01, "DR cleared when the FIFO is empty");
        assertFalse(irq[0]);
    }

    @Test
    void thrEmptyInterruptIsClearedByReadingIir() {
        outb(1, 0x02);
        assertTrue(irq[0], "enabling ETBEI with an empty THR interrupts");
        assertEquals(0x02, in(2) & 0x0f);
        assertFalse(irq[0], "reading IIR cleared THRI");
        assertEquals(0x01, in(2) & 0x0f);
        outb(0, 'z');
        assertEquals(0x02, in(2) & 0x0f, "THR empty again after a write");
    }

    @Test
    void fifoEnableShowsInIirAndClearRxEmptiesFifo() {
        uart.receive(new byte[] {1, 2, 3}, 0, 3);
        outb(2, 0x01);
        assertEquals(0xc0, in(2) & 0xc0);
        outb(2, 0x03);
        assertEquals(0, in(5) & 0x01);
        outb(2, 0x00);
        assertEquals(0x00, in(2) & 0xc0);
    }

    @Test
    void loopbackFeedsTransmittedBytesBackAndMirrorsModemLines() {
        outb(4, 0x10 | 0x01 | 0x02);
        outb(0, 0x55);
        assertEquals(0, out.size(), "nothing leaves the UART in loopback");
        assertEquals(0x55, in(0));
        int msr = in(6);
        assertEquals(0x30, msr & 0xf0, "CTS=RTS and DSR=DTR");
        assertEquals(0x00, in(6) & 0x0f, "deltas cleared by the previous read");
        outb(4, 0x00);
        assertEquals(0xb0, in(6) & 0xf0, "out of loopback the lines read as connected");
    }

    @Test
    void overrunSetsOeWhichReadingLsrClears() {
        byte[] lots = new byte[Serial16550.RX_CAPACITY + 5];
        assertEquals(Serial16550.RX_CAPACITY, uart.receive(lots, 0, lots.length));
        assertEquals(0x02, in(5) & 0x02);
        assertEquals(0x00, in(5) & 0x02);
    }

    @Test
    void scratchRegisterHoldsAValue() {
        outb(7, 0xa5);
        assertEquals(0xa5, in(7));
    }

    @Test
    void stateRoundTripsThroughEncodeAndRestore() {
        outb(3, 0x83);
        outb(0, 3);
        outb(3, 0x1b);
        outb(1, 0x05);
        outb(7, 0x42);
        uart.receive(new byte[] {9, 8, 7}, 0, 3);
        in(0);
        Serial16550State s = uart.save();
        Serial16550State decoded = Serial16550State.decode(s.encode());
        assertEquals(s, decoded);
        Serial16550 other = new Serial16550(IrqLine.NONE, SerialOutput.NULL);
        other.restore(decoded);
        assertEquals(s, other.save());
        byte[] d = new byte[1];
        other.read(0, d);
        assertEquals(8, d[0]);
        assertArrayEquals(new byte[] {7}, other.save().rx());
    }

    @Test
    void decodeRejectsBadInputWithAClearMessage() {
        byte[] enc = uart.save().encode();
        enc[1] = 99;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Serial16550State.decode(enc));
        assertTrue(e.getMessage().contains("version 99"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Serial16550State.decode(new byte[] {0, 1, 2}));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        byte[] big = uart.save().encode();
        big[12] = (byte) 0x7f;
        e = assertThrows(IllegalArgumentException.class, () -> Serial16550State.decode(big));
        assertTrue(e.getMessage().contains("FIFO"), e.getMessage());
    }

    @Test
    void version1GoldenStateStillLoads() throws Exception {
        byte[] golden;
        try (var in = Serial16550Test.class.getResourceAsStream("/state/v1/serial16550.bin")) {
            golden = in.readAllBytes();
        }
        Serial16550State s = Serial16550State.decode(golden);
        assertEquals(new Serial16550State(1, 0, 5, 3, 0x0b, 0x61, 0xb0, 0x42, 0xc1, true, new byte[] {'h', 'i'}), s);
        byte[] asV2 = golden.clone();
        asV2[1] = 2;
        assertArrayEquals(asV2, s.encode(), "version 1 becomes version 2 with nothing else changed");
        Serial16550 other = new Serial16550(IrqLine.NONE, SerialOutput.NULL);
        other.restore(s);
        assertEquals(s, other.save());
    }

    @Test
    void version2GoldenStateLoadsAndEncodesByteForByte() throws Exception {
        byte[] golden;
        try (var in = Serial16550Test.class.getResourceAsStream("/state/v2/serial16550.bin")) {
            golden = in.readAllBytes();
        }
        Serial16550State s = Serial16550State.decode(golden);
        assertEquals(new Serial16550State(1, 0, 0x0f, 3, 0x0b, 0x61, 0xb0, 0x42, 0xc1, true, true,
                new byte[] {'h', 'i'}), s);
        assertArrayEquals(golden, s.encode());
        Serial16550 other = new Serial16550(IrqLine.NONE, SerialOutput.NULL);
        other.restore(s);
        assertEquals(s, other.save());
    }
}
