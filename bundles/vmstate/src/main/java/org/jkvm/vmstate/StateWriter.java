package org.jkvm.vmstate;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Writes a state payload: big-endian fixed-size integers, length-prefixed byte strings and UTF-8 strings, and
 * named subsections for optional data added in later versions. Hand-written on purpose (no reflection, no Java
 * serialisation), so the wire format is exactly what {@code docs/migration-stream.md} describes.
 *
 * <pre>
 * u8 / u16 / u32 / u64      big-endian, fixed size
 * bool                      u8, 0 or 1
 * bytes                     u32 length, then the bytes
 * string                    u16 length, then UTF-8 bytes
 * subsection                u16 name length, name (ASCII), u32 length, payload   (only after all fields)
 * </pre>
 *
 * <p>Not thread-safe. The output may not exceed {@link StateSection#MAX_PAYLOAD_BYTES}.
 */
public final class StateWriter {
    private byte[] buf = new byte[64];
    private int size;

    /** Appends one unsigned byte (the low 8 bits of {@code value}). */
    public StateWriter u8(int value) {
        ensure(1);
        buf[size++] = (byte) value;
        return this;
    }

    /** Appends a boolean as a byte 0 or 1. */
    public StateWriter bool(boolean value) {
        return u8(value ? 1 : 0);
    }

    /** Appends the low 16 bits of {@code value}, big-endian. */
    public StateWriter u16(int value) {
        ensure(2);
        buf[size++] = (byte) (value >>> 8);
        buf[size++] = (byte) value;
        return this;
    }

    /** Appends a 32-bit value, big-endian (signed or unsigned: the bits are the same). */
    public StateWriter u32(int value) {
        ensure(4);
        for (int shift = 24; shift >= 0; shift -= 8) {
            buf[size++] = (byte) (value >>> shift);
        }
        return this;
    }

    /** Appends a 64-bit value, big-endian. */
    public StateWriter u64(long value) {
        ensure(8);
        for (int shift = 56; shift >= 0; shift -= 8) {
            buf[size++] = (byte) (value >>> shift);
        }
        return this;
    }

    /** Appends {@code u32 length} and the bytes. */
    public StateWriter bytes(byte[] value) {
        u32(value.length);
        return raw(value);
    }

    /** Appends the bytes with no length (a fixed-size field both sides know the size of). */
    public StateWriter raw(byte[] value) {
        ensure(value.length);
        System.arraycopy(value, 0, buf, size, value.length);
        size += value.length;
        return this;
    }

    /** Appends {@code u16 length} and the UTF-8 bytes; at most 65535 bytes. */
    public StateWriter string(String value) {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        if (utf8.length > 0xFFFF) {
            throw new VmStateException("a state string of " + utf8.length + " UTF-8 bytes is too long; at most "
                    + 0xFFFF + " are allowed");
        }
        u16(utf8.length);
        return raw(utf8);
    }

    /** Appends a 64-bit array as {@code u32 count} then the values. */
    public StateWriter longs(long[] values) {
        u32(values.length);
        for (long v : values) {
            u64(v);
        }
        return this;
    }

    /**
     * Appends a named subsection: optional data that a newer version adds without bumping the version of the
     * fields before it. Subsections come after every plain field; {@link StateReader#subsections()} reads them.
     *
     * @param name 1..64 characters of {@code [a-z0-9_./-]}
     * @param body writes the subsection's own fields
     */
    public StateWriter subsection(String name, Consumer<StateWriter> body) {
        StateWriter inner = new StateWriter();
        body.accept(inner);
        byte[] payload = new StateSection(name, 0, 1, inner.toByteArray()).payload();
        u16(name.length());
        raw(name.getBytes(StandardCharsets.US_ASCII));
        return bytes(payload);
    }

    /** Bytes written so far. */
    public int size() {
        return size;
    }

    /** A copy of the bytes written. */
    public byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }

    private void ensure(int more) {
        long needed = (long) size + more;
        if (needed > StateSection.MAX_PAYLOAD_BYTES) {
            throw new VmStateException("a state payload would grow to " + needed + " bytes; at most "
                    + StateSection.MAX_PAYLOAD_BYTES + " are allowed, so split the component into sections");
        }
        if (needed > buf.length) {
            buf = Arrays.copyOf(buf, (int) Math.min(StateSection.MAX_PAYLOAD_BYTES, Math.max(needed, buf.length * 2L)));
        }
    }
}
