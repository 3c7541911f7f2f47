package org.jkvm.devices.i8042;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The 8042's guest-visible state, version {@link #VERSION}. Encoded big-endian: u8 command byte, u8 output port,
 * u8 pending controller command, u8 pending keyboard command, u8 flags (bit 0 last write was a command, bit 1
 * keyboard scanning), u8 count, the output bytes oldest first.
 *
 * @param ctr                    the command byte
 * @param outputPort             the output port (bit 0 reset line, bit 1 A20)
 * @param pendingCommand         the controller command waiting for its data byte, or 0
 * @param pendingKeyboardCommand the keyboard command waiting for its parameter, or 0
 * @param lastWasCommand         the status register's A2 bit
 * @param scanning               the keyboard is enabled (0xF4) rather than disabled (0xF5)
 * @param output                 the bytes waiting in the output buffer, oldest first
 */
public record I8042State(int ctr, int outputPort, int pendingCommand, int pendingKeyboardCommand,
        boolean lastWasCommand, boolean scanning, byte[] output) {
    /** The encoding version. */
    public static final int VERSION = 1;

    /** Copies {@code output}. */
    public I8042State {
        output = output.clone();
    }

    @Override
    public byte[] output() {
        return output.clone();
    }

    /** Encodes the state (see the class comment). */
    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(6 + output.length);
        b.put((byte) ctr).put((byte) outputPort).put((byte) pendingCommand).put((byte) pendingKeyboardCommand);
        b.put((byte) ((lastWasCommand ? 1 : 0) | (scanning ? 2 : 0))).put((byte) output.length).put(output);
        return b.array();
    }

    /**
     * Decodes what {@link #encode} wrote.
     *
     * @throws IllegalArgumentException when the bytes are truncated or hold more output than the controller can
     */
    public static I8042State decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        try {
            int ctr = b.get() & 0xff;
            int port = b.get() & 0xff;
            int cmd = b.get() & 0xff;
            int kbd = b.get() & 0xff;
            int flags = b.get() & 0xff;
            int n = b.get() & 0xff;
            if (n > I8042.QUEUE) {
                throw new IllegalArgumentException("i8042 state holds " + n + " output bytes, more than "
                        + I8042.QUEUE);
            }
            byte[] out = new byte[n];
            b.get(out);
            if (b.hasRemaining()) {
                throw new IllegalArgumentException("i8042 state has " + b.remaining() + " bytes after its end");
            }
            return new I8042State(ctr, port, cmd, kbd, (flags & 1) != 0, (flags & 2) != 0, out);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("i8042 state is truncated at " + bytes.length + " bytes", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof I8042State s && ctr == s.ctr && outputPort == s.outputPort
                && pendingCommand == s.pendingCommand && pendingKeyboardCommand == s.pendingKeyboardCommand
                && lastWasCommand == s.lastWasCommand && scanning == s.scanning && Arrays.equals(output, s.output);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(output) * 31 + ctr * 7 + outputPort + pendingCommand * 13 + pendingKeyboardCommand;
    }

    @Override
    public String toString() {
        return String.format("I8042State[ctr=0x%x port=0x%x cmd=0x%x kbd=0x%x a2=%b scan=%b out=%d]", ctr,
                outputPort, pendingCommand, pendingKeyboardCommand, lastWasCommand, scanning, output.length);
    }
}
