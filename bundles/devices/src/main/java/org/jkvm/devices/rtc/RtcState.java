package org.jkvm.devices.rtc;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The MC146818's state as the guest would read it at the save, version {@link #VERSION}: the 128 CMOS bytes with
 * the calendar registers holding the time of the save (in the data mode of register B), the divider chain's
 * position within the current second, the pending flags of register C and the index register. The RTC restored
 * from it goes on from that time in the destination's guest time.
 *
 * <p>Encoded big-endian: the 128 CMOS bytes, u16 phase ticks (0-32767), u8 flags (register C bits 4-7), u8 index
 * (bit 7 = NMIs masked).
 *
 * @param cmos       the 128 bytes (registers 0x00-0x0d and RAM); copied
 * @param phaseTicks the divider's 32.768 kHz ticks into the current second, 0-32767
 * @param flags      register C's PF, AF and UF (bits 6, 5, 4) and IRQF (bit 7): whether the interrupt line was
 *                   raised at the save (clear in states written before it was recorded)
 * @param index      the register selected through port 0x70, 0-127
 * @param nmiMasked  bit 7 of the last index written
 */
public record RtcState(byte[] cmos, int phaseTicks, int flags, int index, boolean nmiMasked) {
    /** The encoding version. */
    public static final int VERSION = 1;
    /** Bytes of the encoding. */
    public static final int ENCODED_SIZE = 128 + 4;

    /** Validates the ranges and copies the CMOS bytes. */
    public RtcState {
        if (cmos.length != 128) {
            throw new IllegalArgumentException("the RTC has 128 CMOS bytes, got " + cmos.length);
        }
        if (phaseTicks < 0 || phaseTicks >= CmosRtc.TICKS_PER_SECOND || index < 0 || index > 0x7f
                || (flags & ~0xf0) != 0) {
            throw new IllegalArgumentException("RTC state out of range: phase " + phaseTicks + ", index " + index
                    + ", flags 0x" + Integer.toHexString(flags));
        }
        cmos = cmos.clone();
    }

    @Override
    public byte[] cmos() {
        return cmos.clone();
    }

    /** Encodes the state (see the class comment). */
    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(ENCODED_SIZE);
        b.put(cmos).putShort((short) phaseTicks).put((byte) flags).put((byte) (index | (nmiMasked ? 0x80 : 0)));
        return b.array();
    }

    /**
     * Decodes what {@link #encode} wrote.
     *
     * @throws IllegalArgumentException naming the problem when the bytes are truncated, too long or out of range
     */
    public static RtcState decode(byte[] bytes) {
        if (bytes.length > ENCODED_SIZE) {
            throw new IllegalArgumentException("RTC state is " + bytes.length + " bytes, expected " + ENCODED_SIZE);
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            byte[] cmos = new byte[128];
            b.get(cmos);
            int phase = b.getShort() & 0xffff;
            int flags = b.get() & 0xff;
            int index = b.get() & 0xff;
            return new RtcState(cmos, phase, flags, index & 0x7f, (index & 0x80) != 0);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("RTC state is truncated at " + bytes.length + " bytes", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RtcState s && Arrays.equals(cmos, s.cmos) && phaseTicks == s.phaseTicks
                && flags == s.flags && index == s.index && nmiMasked == s.nmiMasked;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(cmos) * 31 + phaseTicks * 7 + flags + index * 13 + (nmiMasked ? 1 : 0);
    }

    @Override
    public String toString() {
        return String.format("RtcState[time %02x:%02x:%02x %02x-%02x-%02x%02x, A=0x%02x B=0x%02x, phase %d, "
                + "flags 0x%x, index 0x%x%s]", cmos[4], cmos[2], cmos[0], cmos[7], cmos[8], cmos[0x32], cmos[9],
                cmos[0x0a], cmos[0x0b], phaseTicks, flags, index, nmiMasked ? ", NMI masked" : "");
    }
}
