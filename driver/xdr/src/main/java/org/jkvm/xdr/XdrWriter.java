package org.jkvm.xdr;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.function.BiConsumer;

/**
 * Writes XDR items into a growing big-endian buffer.
 *
 * <p>Writers check the same bounds as {@link XdrReader} so that we never send what a peer must refuse. Not
 * thread-safe: one writer per message. The bytes written are {@code [0, position())} of {@link #buffer()}.
 */
public final class XdrWriter {
    private ByteBuffer buf;

    /** A writer with a small initial capacity. */
    public XdrWriter() {
        this(256);
    }

    /**
     * A writer with the given initial capacity in bytes.
     *
     * @param initialCapacity bytes to reserve; the buffer doubles as needed
     */
    public XdrWriter(int initialCapacity) {
        this.buf = ByteBuffer.allocate(Math.max(16, initialCapacity)).order(ByteOrder.BIG_ENDIAN);
    }

    private void ensure(int bytes) {
        if (buf.remaining() < bytes) {
            int cap = Math.max(buf.capacity() * 2, buf.position() + bytes);
            ByteBuffer bigger = ByteBuffer.allocate(cap).order(ByteOrder.BIG_ENDIAN);
            buf.flip();
            bigger.put(buf);
            buf = bigger;
        }
    }

    /** Bytes written so far. */
    public int position() {
        return buf.position();
    }

    /** Overwrites a 32-bit word already written at {@code offset} (used for frame lengths). */
    public XdrWriter putIntAt(int offset, int value) {
        buf.putInt(offset, value);
        return this;
    }

    /** The backing buffer; valid bytes are {@code [0, position())}. */
    public ByteBuffer buffer() {
        return buf;
    }

    /** A copy of the bytes written. */
    public byte[] toByteArray() {
        byte[] out = new byte[buf.position()];
        System.arraycopy(buf.array(), 0, out, 0, out.length);
        return out;
    }

    /** A 32-bit {@code int}, {@code unsigned int} (low 32 bits), {@code enum} or widened char/short. */
    public XdrWriter writeInt(int v) {
        ensure(4);
        buf.putInt(v);
        return this;
    }

    /** An {@code unsigned int} given as a long in [0, 2^32). */
    public XdrWriter writeUnsignedInt(long v) {
        if (v < 0 || v > 0xFFFF_FFFFL) {
            throw new XdrException("value " + v + " does not fit an XDR unsigned int", true);
        }
        return writeInt((int) v);
    }

    /** A 64-bit {@code hyper} or {@code unsigned hyper}. */
    public XdrWriter writeHyper(long v) {
        ensure(8);
        buf.putLong(v);
        return this;
    }

    /** An IEEE 754 {@code double}. */
    public XdrWriter writeDouble(double v) {
        ensure(8);
        buf.putDouble(v);
        return this;
    }

    /** A {@code bool} as 0 or 1. */
    public XdrWriter writeBool(boolean v) {
        return writeInt(v ? 1 : 0);
    }

    /** A fixed-length {@code opaque x[length]}; {@code bytes} must have exactly that length. */
    public XdrWriter writeFixedOpaque(byte[] bytes, int length) {
        if (bytes.length != length) {
            throw new XdrException("fixed opaque needs " + length + " bytes but got " + bytes.length, true);
        }
        return putPadded(bytes);
    }

    /** A variable-length {@code opaque x<max>}. */
    public XdrWriter writeOpaque(byte[] bytes, int max) {
        checkMax(bytes.length, max, "opaque");
        writeInt(bytes.length);
        return putPadded(bytes);
    }

    /** A {@code string x<max>} encoded as UTF-8. */
    public XdrWriter writeString(String s, int max) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        checkMax(bytes.length, max, "string");
        writeInt(bytes.length);
        return putPadded(bytes);
    }

    /** An optional string: 0, or 1 and the string. */
    public XdrWriter writeOptionalString(String s, int max) {
        if (s == null) {
            return writeInt(0);
        }
        writeInt(1);
        return writeString(s, max);
    }

    /** An optional item: 0, or 1 and the item written by {@code item}. */
    public <T> XdrWriter writeOptional(T value, BiConsumer<XdrWriter, T> item) {
        if (value == null) {
            return writeInt(0);
        }
        writeInt(1);
        item.accept(this, value);
        return this;
    }

    /** A variable array {@code T x<max>}: the count, then each item. */
    public <T> XdrWriter writeArray(Collection<T> items, int max, BiConsumer<XdrWriter, T> item) {
        checkMax(items.size(), max, "array");
        writeInt(items.size());
        for (T t : items) {
            item.accept(this, t);
        }
        return this;
    }

    /** Raw bytes with no length and no padding (frame payloads already encoded). */
    public XdrWriter writeRaw(byte[] bytes, int offset, int length) {
        ensure(length);
        buf.put(bytes, offset, length);
        return this;
    }

    private XdrWriter putPadded(byte[] bytes) {
        int padded = XdrReader.padded(bytes.length);
        ensure(padded);
        buf.put(bytes);
        for (int i = bytes.length; i < padded; i++) {
            buf.put((byte) 0);
        }
        return this;
    }

    private static void checkMax(int len, int max, String what) {
        if (len > max) {
            throw new XdrException("XDR " + what + " of " + len + " items/bytes exceeds its maximum of " + max, true);
        }
    }
}
