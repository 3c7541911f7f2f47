package org.jkvm.devices.serial;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The guest-visible state of a 16550A UART (the hardware, not this implementation), version {@link #VERSION}.
 *
 * <p>Encoded big-endian as: u16 version, u8 dll, dlm, ier, lcr, mcr, lsr, msr, scr, fcr, u8 flags (bit 0 =
 * THR-empty interrupt pending, bit 1 = character timeout indicated), u16 rx count, rx bytes. Decoding accepts
 * {@link #MIN_VERSION}..{@link #VERSION} and caps the receive FIFO at {@link Serial16550#RX_CAPACITY} bytes before
 * allocating. Version 1 (before the UART had interrupts wired) has the same layout without flag bit 1, which it
 * decodes as false.
 *
 * @param dll                divisor latch, low byte
 * @param dlm                divisor latch, high byte
 * @param ier                interrupt enable register
 * @param lcr                line control register
 * @param mcr                modem control register
 * @param lsr                line status register
 * @param msr                modem status register
 * @param scr                scratch register
 * @param fcr                FIFO control register as last written (bit 0 = FIFOs enabled)
 * @param thrInterrupt       whether a THR-empty interrupt is pending (cleared by reading IIR or writing THR)
 * @param timeoutPending     whether the receiver's character timeout has elapsed (cleared by reading RBR)
 * @param rx                 received bytes not yet read by the guest, oldest first
 */
public record Serial16550State(int dll, int dlm, int ier, int lcr, int mcr, int lsr, int msr, int scr, int fcr,
        boolean thrInterrupt, boolean timeoutPending, byte[] rx) {
    /** The current encoding version. */
    public static final int VERSION = 2;
    /** The oldest encoding version this code still reads. */
    public static final int MIN_VERSION = 1;

    /** Copies {@code rx} so the record stays immutable. */
    public Serial16550State {
        rx = rx.clone();
    }

    /** A state without a character timeout indicated (all a version-1 state can say). */
    public Serial16550State(int dll, int dlm, int ier, int lcr, int mcr, int lsr, int msr, int scr, int fcr,
            boolean thrInterrupt, byte[] rx) {
        this(dll, dlm, ier, lcr, mcr, lsr, msr, scr, fcr, thrInterrupt, false, rx);
    }

    @Override
    public byte[] rx() {
        return rx.clone();
    }

    /** Encodes this state (see the class comment for the layout). */
    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(14 + rx.length);
        b.putShort((short) VERSION);
        for (int v : new int[] {dll, dlm, ier, lcr, mcr, lsr, msr, scr, fcr}) {
            b.put((byte) v);
        }
        b.put((byte) ((thrInterrupt ? 1 : 0) | (timeoutPending ? 2 : 0)));
        b.putShort((short) rx.length);
        b.put(rx);
        return b.array();
    }

    /**
     * Decodes a state written by {@link #encode} of any version from {@link #MIN_VERSION} to {@link #VERSION}.
     *
     * @throws IllegalArgumentException naming the problem when the bytes are truncated, of an unknown version
     *                                  or hold more received bytes than the FIFO can
     */
    public static Serial16550State decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        try {
            int version = b.getShort() & 0xffff;
            if (version < MIN_VERSION || version > VERSION) {
                throw new IllegalArgumentException("serial state version " + version + " is not supported; this "
                        + "engine reads versions " + MIN_VERSION + " to " + VERSION);
            }
            int[] r = new int[9];
            for (int i = 0; i < r.length; i++) {
                r[i] = b.get() & 0xff;
            }
            int flags = b.get() & 0xff;
            boolean thri = (flags & 1) != 0;
            boolean timeout = version >= 2 && (flags & 2) != 0;
            int count = b.getShort() & 0xffff;
            if (count > Serial16550.RX_CAPACITY) {
                throw new IllegalArgumentException("serial state holds " + count + " received bytes, more than the "
                        + Serial16550.RX_CAPACITY + "-byte FIFO");
            }
            byte[] rx = new byte[count];
            b.get(rx);
            return new Serial16550State(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], thri, timeout, rx);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("serial state is truncated at " + bytes.length + " bytes", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Serial16550State s && dll == s.dll && dlm == s.dlm && ier == s.ier && lcr == s.lcr
                && mcr == s.mcr && lsr == s.lsr && msr == s.msr && scr == s.scr && fcr == s.fcr
                && thrInterrupt == s.thrInterrupt && timeoutPending == s.timeoutPending && Arrays.equals(rx, s.rx);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {dll, dlm, ier, lcr, mcr, lsr, msr, scr, fcr, thrInterrupt ? 1 : 0,
            timeoutPending ? 1 : 0})
                * 31 + Arrays.hashCode(rx);
    }

    @Override
    public String toString() {
        return String.format("Serial16550State[dl=%d ier=0x%x lcr=0x%x mcr=0x%x lsr=0x%x msr=0x%x scr=0x%x "
                + "fcr=0x%x thri=%b timeout=%b rx=%d]", dll | dlm << 8, ier, lcr, mcr, lsr, msr, scr, fcr,
                thrInterrupt, timeoutPending, rx.length);
    }
}
