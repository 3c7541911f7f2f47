package org.jkvm.devices.i8042;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.devices.PlatformControl;
import org.jkvm.devices.RecordingLine;
import org.junit.jupiter.api.Test;

/** The 8042 as Linux's i8042 and atkbd drivers probe it, and its reset line. */
class I8042Test {
    final List<String> requests = new ArrayList<>();
    final RecordingLine irq1 = new RecordingLine();
    final I8042 kbc = new I8042(irq1, new PlatformControl() {
        @Override
        public void requestReset(String source) {
            requests.add("reset " + source);
        }

        @Override
        public void requestPowerOff(String source) {
            requests.add("off " + source);
        }
    });

    int status() {
        byte[] d = new byte[1];
        kbc.commandPort().read(0, d);
        return d[0] & 0xff;
    }

    int data() {
        byte[] d = new byte[1];
        kbc.dataPort().read(0, d);
        return d[0] & 0xff;
    }

    void command(int c) {
        kbc.commandPort().write(0, new byte[] {(byte) c});
    }

    void data(int v) {
        kbc.dataPort().write(0, new byte[] {(byte) v});
    }

    /** Everything in the output buffer, as the driver reads it: while OBF, read the data port. */
    List<Integer> drain() {
        List<Integer> out = new ArrayList<>();
        while ((status() & 1) != 0) {
            out.add(data());
        }
        return out;
    }

    @Test
    void aPresentControllerWithAnEmptyBuffer() {
        assertEquals(0x14, status(), "not inhibited, system flag; no 0xff (which means no controller)");
        assertEquals(List.of(), drain());
    }

    @Test
    void selfTestAndCommandByte() {
        command(0xaa);
        assertTrue(irq1.level(), "the reply raises IRQ 1: the command byte enables the keyboard interrupt");
        assertEquals(List.of(0x55), drain());
        assertFalse(irq1.level());
        command(0x20);
        assertEquals(List.of(I8042.CTR_RESET), drain());
        command(0x60);
        assertEquals(0x08, status() & 0x08, "A2: the last write was a command");
        data(0x44); // keyboard interrupt off
        command(0x20);
        assertFalse(irq1.level(), "no IRQ 1 with the interrupt off");
        assertEquals(List.of(0x44), drain());
        command(0xab);
        assertEquals(List.of(0x00), drain(), "keyboard interface test passed");
    }

    @Test
    void thereIsNoAuxPortAndTheProbeSaysSoAtOnce() {
        command(0xd3); // aux loopback
        data(0x5a);
        int st = status();
        assertEquals(0x01, st & 0x21, "the byte comes back without AUXB: the loop failed");
        assertEquals(List.of(0x5a), drain());
        command(0xa9);
        assertEquals(List.of(0x01), drain(), "aux interface test: clock line stuck");
        command(0xa7);
        command(0x20);
        assertEquals(0x20, drain().get(0) & 0x20);
        command(0xa8);
        command(0x20);
        assertEquals(0, drain().get(0) & 0x20);
    }

    @Test
    void theKeyboardAnswersItsCommands() {
        data(0xff);
        assertEquals(List.of(0xfa, 0xaa), drain(), "reset: ACK, self-test passed");
        data(0xf2);
        assertEquals(List.of(0xfa, 0xab, 0x41), drain(), "MF2 keyboard, translated");
        command(0x60);
        data(0x05); // translation off
        data(0xf2);
        assertEquals(List.of(0xfa, 0xab, 0x83), drain());
        data(0xed);
        data(0x07);
        assertEquals(List.of(0xfa, 0xfa), drain(), "LEDs and their parameter");
        data(0xee);
        assertEquals(List.of(0xee), drain(), "echo");
        data(0xf5);
        data(0xf4);
        assertEquals(List.of(0xfa, 0xfa), drain());
    }

    @Test
    void eachReplyByteIsAnEdgeOnIrq1() {
        data(0xf2);
        assertEquals(1, irq1.edges());
        drain();
        assertEquals(3, irq1.edges(), "one edge per byte");
    }

    @Test
    void theResetPulseAndTheOutputPortResetTheSystem() {
        command(0xd1);
        data(0x03);
        assertEquals(List.of(), requests, "reset line high: nothing");
        command(0xd0);
        assertEquals(List.of(0x03), drain());
        command(0xfe);
        assertEquals(List.of("reset i8042"), requests);
        command(0xff);
        assertEquals(1, requests.size(), "0xff pulses no line");
        command(0xd1);
        data(0x02);
        assertEquals(List.of("reset i8042", "reset i8042"), requests);
    }

    @Test
    void stateRoundTrips() {
        command(0xd1); // waiting for its data byte
        data(0xff); // (bit 0 set: no reset) ... then a pending reply:
        data(0xf2);
        command(0x60);
        I8042State s = kbc.save();
        assertEquals(0x60, s.pendingCommand());
        assertEquals(3, s.output().length);
        I8042State back = I8042State.decode(s.encode());
        assertEquals(s, back);
        I8042 copy = new I8042(new RecordingLine(), PlatformControl.NONE);
        copy.restore(back);
        assertEquals(s, copy.save());
        assertThrows(IllegalArgumentException.class, () -> I8042State.decode(new byte[3]));
        kbc.reset();
        assertEquals(List.of(), drain());
    }
}
