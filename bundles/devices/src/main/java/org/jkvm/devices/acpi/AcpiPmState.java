package org.jkvm.devices.acpi;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;

/**
 * The guest-visible state of the ACPI PM device, version {@link #VERSION}: the PM1 registers and the PM timer's
 * value at the moment of the save (so the timer counts on from there in the destination's guest time).
 *
 * <p>Encoded big-endian as: u16 version, u16 PM1_STS, u16 PM1_EN, u16 PM1_CNT, u32 PM_TMR (24 bits used), u32 the
 * timer's overflow count (bit 23 toggles seen, for TMR_STS). Decoding accepts {@link #MIN_VERSION}..{@link #VERSION}.
 *
 * @param pm1Sts     PM1_STS
 * @param pm1En      PM1_EN
 * @param pm1Cnt     PM1_CNT (SLP_EN, write-only, is never stored)
 * @param timer      the PM timer at the save, 0 .. 2^24 - 1
 * @param timerHalfs how many times bit 23 of the timer has toggled, modulo 2^32 (TMR_STS bookkeeping)
 */
public record AcpiPmState(int pm1Sts, int pm1En, int pm1Cnt, int timer, int timerHalfs) {
    /** The current encoding version. */
    public static final int VERSION = 1;
    /** The oldest encoding version this code still reads. */
    public static final int MIN_VERSION = 1;
    /** Encoded size in bytes. */
    public static final int BYTES = 16;

    /** Checks the field ranges. */
    public AcpiPmState {
        if ((pm1Sts | pm1En | pm1Cnt) >>> 16 != 0 || timer >>> 24 != 0) {
            throw new IllegalArgumentException(String.format("ACPI PM state out of range: PM1_STS 0x%x, PM1_EN 0x%x,"
                    + " PM1_CNT 0x%x, timer 0x%x", pm1Sts, pm1En, pm1Cnt, timer));
        }
    }

    /** Encodes this state (see the class comment). */
    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(BYTES);
        b.putShort((short) VERSION).putShort((short) pm1Sts).putShort((short) pm1En).putShort((short) pm1Cnt);
        b.putInt(timer).putInt(timerHalfs);
        return b.array();
    }

    /**
     * Decodes a state written by {@link #encode}.
     *
     * @throws IllegalArgumentException naming the problem when the bytes are truncated, out of range or of an
     *                                  unknown version
     */
    public static AcpiPmState decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        try {
            int version = b.getShort() & 0xffff;
            if (version < MIN_VERSION || version > VERSION) {
                throw new IllegalArgumentException("ACPI PM state version " + version + " is not supported; this "
                        + "engine reads versions " + MIN_VERSION + " to " + VERSION);
            }
            return new AcpiPmState(b.getShort() & 0xffff, b.getShort() & 0xffff, b.getShort() & 0xffff, b.getInt(),
                    b.getInt());
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("ACPI PM state is truncated at " + bytes.length + " bytes", e);
        }
    }
}
