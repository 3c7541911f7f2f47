package org.jkvm.xdr;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Reads XDR items from a buffer, checking every length before it allocates.
 *
 * <p>The reader consumes a slice of the buffer given to it (from its position to its limit) and never reads
 * beyond it. Every method throws {@link XdrException} naming {@code field} when the input is truncated, a
 * length exceeds its bound, or a boolean is neither 0 nor 1. Not thread-safe: one reader per message.
 */
public final class XdrReader {
    private final ByteBuffer buf;

    /**
     * Wraps the remaining bytes of {@code source}; the source's position is not moved.
     *
     * @param source the XDR bytes, from position to limit
     */
    public XdrReader(ByteBuffer source) {
        this.buf = source.slice().order(ByteOrder.BIG_ENDIAN);
    }

    /** Wraps a whole byte array. */
    public static XdrReader of(byte[] bytes) {
        return new XdrReader(ByteBuffer.wrap(bytes));
    }

    /** Bytes not yet read. */
    public int remaining() {
        return buf.remaining();
    }

    /** Bytes read so far. */
    public int position() {
        return buf.position();
    }

    private void need(int bytes, String field) {
        if (bytes > buf.remaining()) {
            throw new XdrException("truncated XDR: " + field + " needs " + bytes + " bytes at offset "
                    + buf.position() + " but only " + buf.remaining() + " remain");
        }
    }

    /** A signed 32-bit {@code int} (also {@code enum}, and rpcgen's widened {@code char} and {@code short}). */
    public int readInt(String field) {
        need(4, field);
        return buf.getInt();
    }

    /** An {@code unsigned int}, returned as a non-negative long. */
    public long readUnsignedInt(String field) {
        return Integer.toUnsignedLong(readInt(field));
    }

    /** A signed 64-bit {@code hyper}. */
    public long readHyper(String field) {
        need(8, field);
        return buf.getLong();
    }

    /** An {@code unsigned hyper}; the 64 bits come back as a long (use the Long unsigned helpers). */
    public long readUnsignedHyper(String field) {
        return readHyper(field);
    }

    /** An IEEE 754 {@code double}. */
    public double readDouble(String field) {
        need(8, field);
        return buf.getDouble();
    }

    /** A {@code bool}: 0 or 1, anything else is an error. */
    public boolean readBool(String field) {
        int v = readInt(field);
        if (v != 0 && v != 1) {
            throw new XdrException("invalid XDR bool for " + field + ": " + v + " (must be 0 or 1)");
        }
        return v == 1;
    }

    /** A fixed-length {@code opaque x[length]}, padded to 4. */
    public byte[] readFixedOpaque(int length, String field) {
        need(padded(length), field);
        byte[] out = new byte[length];
        buf.get(out);
        skipPadding(length);
        return out;
    }

    /** A variable-length {@code opaque x<max>}: a length word, the bytes, padding. */
    public byte[] readOpaque(int max, String field) {
        int len = readLength(max, field);
        need(padded(len), field);
        byte[] out = new byte[len];
        buf.get(out);
        skipPadding(len);
        return out;
    }

    /** A {@code string x<max>} decoded as UTF-8. */
    public String readString(int max, String field) {
        int len = readLength(max, field);
        need(padded(len), field);
        String s;
        if (buf.hasArray()) {
            s = new String(buf.array(), buf.arrayOffset() + buf.position(), len, StandardCharsets.UTF_8);
            buf.position(buf.position() + len);
        } else {
            byte[] bytes = new byte[len];
            buf.get(bytes);
            s = new String(bytes, StandardCharsets.UTF_8);
        }
        skipPadding(len);
        return s;
    }

    /** An optional {@code T *x}: a presence word, then the item; null when absent. */
    public <T> T readOptional(Function<XdrReader, T> item, String field) {
        return readBool(field + " (presence)") ? item.apply(this) : null;
    }

    /** An optional {@code string<max>}; null when absent. */
    public String readOptionalString(int max, String field) {
        return readBool(field + " (presence)") ? readString(max, field) : null;
    }

    /** A variable array {@code T x<max>}: a count word, then the items. */
    public <T> List<T> readArray(int max, Function<XdrReader, T> item, String field) {
        int count = readLength(max, field);
        // Each item takes at least 4 bytes, so a count beyond remaining/4 is truncated input: refuse early.
        need(count * 4, field);
        List<T> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(item.apply(this));
        }
        return out;
    }

    /** Throws unless every byte has been consumed; trailing bytes mean the message layout was wrong. */
    public void expectEnd(String what) {
        if (buf.hasRemaining()) {
            throw new XdrException("malformed XDR: " + buf.remaining() + " unexpected trailing bytes after " + what);
        }
    }

    private int readLength(int max, String field) {
        long len = readUnsignedInt(field + " (length)");
        if (len > max) {
            throw new XdrException("XDR length of " + field + " is " + len + ", above its maximum of " + max);
        }
        return (int) len;
    }

    private void skipPadding(int len) {
        int pad = padded(len) - len;
        for (int i = 0; i < pad; i++) {
            buf.get();
        }
    }

    /** {@code len} rounded up to a multiple of 4. */
    static int padded(int len) {
        return (len + 3) & ~3;
    }
}
