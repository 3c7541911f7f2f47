package org.jkvm.devices.i8042;

import java.util.Arrays;

import org.jkvm.devices.BusDevice;
import org.jkvm.devices.IrqLine;
import org.jkvm.devices.PlatformControl;

/**
 * The PC's 8042 keyboard controller (ports 0x60 data, 0x64 status/command) with a keyboard that answers its
 * commands and never types, and no auxiliary (mouse) port: what Linux's i8042 and atkbd drivers need to probe it,
 * and the reset line that Linux and other kernels pulse to reboot (command 0xFE, or any 0xF0-0xFF command with bit
 * 0 clear, or bit 0 cleared in the output port through 0xD1), which goes to {@link PlatformControl}.
 *
 * <pre>
 * status (read 0x64): bit 0 OBF output buffer full, 1 IBF (always 0: commands complete at once), 2 SYS (system
 *   flag, from the command byte), 3 A2 (the last write was a command), 4 INH (1: not inhibited), 5 AUXB (0: no
 *   mouse data ever)
 * command byte: bit 0 keyboard interrupt (IRQ 1), 1 aux interrupt (IRQ 12), 2 SYS, 4 keyboard disabled,
 *   5 aux disabled, 6 scan-code translation
 * </pre>
 *
 * <p>No aux port, answered as an AT-type controller without one: the loop command 0xD3 returns its byte as
 * keyboard data and the aux interface test 0xA9 reports a stuck clock line (0x01), which is how Linux concludes
 * that there is no aux port without waiting for a timeout.
 *
 * <p>The controller raises IRQ 1 while keyboard data waits and the command byte enables it. Thread-safe: all
 * methods synchronise on the device; the two ports are {@link #dataPort()} and {@link #commandPort()}.
 */
public final class I8042 {
    /** The data port. */
    public static final int DATA_PORT = 0x60;
    /** The status and command port. */
    public static final int COMMAND_PORT = 0x64;
    /** The command byte after power-on: keyboard interrupt, system flag, aux disabled, translation. */
    public static final int CTR_RESET = 0x65;
    /** How many bytes the output queue holds (replies of one command are a few bytes). */
    static final int QUEUE = 16;

    static final int STR_OBF = 0x01;
    static final int STR_SYS = 0x04;
    static final int STR_CMD = 0x08;
    static final int STR_NOT_INHIBITED = 0x10;
    static final int CTR_KBD_INT = 0x01;
    static final int CTR_SYS = 0x04;
    static final int CTR_KBD_DISABLED = 0x10;
    static final int CTR_AUX_DISABLED = 0x20;
    static final int CTR_XLATE = 0x40;
    /** The output port after power-on: reset line high (not in reset), A20 enabled. */
    static final int OUTPUT_PORT_RESET = 0x03;

    private final IrqLine kbdIrq;
    private final PlatformControl platform;
    private final byte[] queue = new byte[QUEUE];
    private final BusDevice data = new Port(true);
    private final BusDevice command = new Port(false);
    private int head;
    private int count;
    private int ctr;
    private int outputPort;
    /** The controller command waiting for its data byte on port 0x60, or 0. */
    private int pendingCommand;
    /** The keyboard command waiting for its parameter byte, or 0. */
    private int pendingKbd;
    private boolean lastWasCommand;
    private boolean scanning;

    /**
     * @param kbdIrq   IRQ 1
     * @param platform told about reset pulses
     */
    public I8042(IrqLine kbdIrq, PlatformControl platform) {
        this.kbdIrq = kbdIrq;
        this.platform = platform;
        reset();
    }

    /** The view to register at {@link #DATA_PORT}. */
    public BusDevice dataPort() {
        return data;
    }

    /** The view to register at {@link #COMMAND_PORT}. */
    public BusDevice commandPort() {
        return command;
    }

    /** Power-on state: empty queue, {@link #CTR_RESET}, keyboard scanning. */
    public synchronized void reset() {
        head = 0;
        count = 0;
        ctr = CTR_RESET;
        outputPort = OUTPUT_PORT_RESET;
        pendingCommand = 0;
        pendingKbd = 0;
        lastWasCommand = false;
        scanning = true;
        updateIrq();
    }

    /** The controller's state (a snapshot). */
    public synchronized I8042State save() {
        byte[] pending = new byte[count];
        for (int i = 0; i < count; i++) {
            pending[i] = queue[(head + i) % QUEUE];
        }
        return new I8042State(ctr, outputPort, pendingCommand, pendingKbd, lastWasCommand, scanning, pending);
    }

    /** Replaces the state with {@code s}. */
    public synchronized void restore(I8042State s) {
        byte[] pending = s.output();
        if (pending.length > QUEUE) {
            throw new IllegalArgumentException("i8042 state holds " + pending.length + " output bytes, more than "
                    + QUEUE);
        }
        ctr = s.ctr() & 0xff;
        outputPort = s.outputPort() & 0xff;
        pendingCommand = s.pendingCommand() & 0xff;
        pendingKbd = s.pendingKeyboardCommand() & 0xff;
        lastWasCommand = s.lastWasCommand();
        scanning = s.scanning();
        head = 0;
        count = pending.length;
        System.arraycopy(pending, 0, queue, 0, count);
        updateIrq();
    }

    private synchronized int readStatus() {
        int s = STR_NOT_INHIBITED | (count > 0 ? STR_OBF : 0) | (lastWasCommand ? STR_CMD : 0);
        return s | ((ctr & CTR_SYS) != 0 ? STR_SYS : 0);
    }

    private synchronized int readData() {
        if (count == 0) {
            return queue[(head + QUEUE - 1) % QUEUE] & 0xff; // an empty buffer reads the last byte again
        }
        int v = queue[head] & 0xff;
        head = (head + 1) % QUEUE;
        count--;
        // Lower, then raise again for the next byte: each byte is an edge on IRQ 1.
        kbdIrq.lower();
        updateIrq();
        return v;
    }

    private synchronized void writeCommand(int cmd) {
        lastWasCommand = true;
        pendingCommand = 0;
        switch (cmd) {
            case 0x20 -> reply(ctr);
            case 0x60, 0xd1, 0xd2, 0xd3, 0xd4 -> pendingCommand = cmd;
            case 0xa7 -> ctr |= CTR_AUX_DISABLED;
            case 0xa8 -> ctr &= ~CTR_AUX_DISABLED;
            case 0xa9 -> reply(0x01); // aux interface test: clock line stuck low, i.e. no aux port
            case 0xaa -> {
                ctr |= CTR_SYS; // the self-test sets the system flag
                reply(0x55);
            }
            case 0xab -> reply(0x00); // keyboard interface test passed
            case 0xad -> ctr |= CTR_KBD_DISABLED;
            case 0xae -> ctr &= ~CTR_KBD_DISABLED;
            case 0xc0 -> reply(0x00);
            case 0xd0 -> reply(outputPort);
            default -> {
                if (cmd >= 0xf0 && (cmd & 1) == 0) {
                    platform.requestReset("i8042"); // pulse output port bit 0, the CPU reset line
                }
            }
        }
        updateIrq();
    }

    private synchronized void writeData(int v) {
        lastWasCommand = false;
        int cmd = pendingCommand;
        pendingCommand = 0;
        switch (cmd) {
            case 0x60 -> ctr = v;
            case 0xd1 -> {
                outputPort = v | 0x01;
                if ((v & 0x01) == 0) {
                    platform.requestReset("i8042");
                }
            }
            case 0xd2, 0xd3 -> reply(v); // 0xd3 (aux loop) comes back as keyboard data: there is no aux port
            case 0xd4 -> { } // to the aux device, which is not there
            default -> keyboard(v);
        }
        updateIrq();
    }

    /** A byte for the keyboard (an AT/MF2 keyboard's command set, answered at once). */
    private void keyboard(int v) {
        if (pendingKbd != 0) {
            pendingKbd = 0;
            reply(0xfa); // the parameter of LEDs, typematic rate or scan-code set
            return;
        }
        switch (v) {
            case 0xed, 0xf3, 0xf0 -> {
                pendingKbd = v;
                reply(0xfa);
            }
            case 0xee -> reply(0xee); // echo
            case 0xf2 -> { // identify: MF2, the second byte translated when the controller translates
                reply(0xfa);
                reply(0xab);
                reply((ctr & CTR_XLATE) != 0 ? 0x41 : 0x83);
            }
            case 0xf4 -> {
                scanning = true;
                reply(0xfa);
            }
            case 0xf5 -> {
                scanning = false;
                reply(0xfa);
            }
            case 0xff -> { // reset: acknowledge, then the self-test passed
                scanning = true;
                reply(0xfa);
                reply(0xaa);
            }
            default -> reply(0xfa);
        }
    }

    private void reply(int v) {
        if (count == QUEUE) {
            return; // the guest does not read its replies: drop, as a full buffer would
        }
        queue[(head + count) % QUEUE] = (byte) v;
        count++;
    }

    private void updateIrq() {
        kbdIrq.set(count > 0 && (ctr & CTR_KBD_INT) != 0);
    }

    /** One of the two ports. */
    private final class Port implements BusDevice {
        private final boolean isData;

        Port(boolean isData) {
            this.isData = isData;
        }

        @Override
        public void read(long offset, byte[] d) {
            Arrays.fill(d, (byte) 0);
            if (offset == 0 && d.length > 0) {
                d[0] = (byte) (isData ? readData() : readStatus());
            }
        }

        @Override
        public void write(long offset, byte[] d) {
            if (offset == 0 && d.length > 0) {
                if (isData) {
                    writeData(d[0] & 0xff);
                } else {
                    writeCommand(d[0] & 0xff);
                }
            }
        }

        @Override
        public String name() {
            return isData ? "i8042-data" : "i8042-command";
        }
    }
}
