package org.jkvm.vmstate;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads what {@link StateWriter} wrote, treating the input as hostile: every read is bounds-checked and every
 * length is capped before anything is allocated. Errors are {@link VmStateException}s naming the section (the
 * {@code context} given at construction), the offset and what was expected.
 *
 * <p>Not thread-safe.
 */
public final class StateReader {
    private final byte[] data;
    private final String context;
    private int pos;

    /**
     * @param data    the payload (not copied)
     * @param context what is being read, for messages (e.g. {@code "serial#0"})
     */
    public StateReader(byte[] data, String context) {
        this.data = data;
        this.context = context;
    }

    /** One unsigned byte. */
    public int u8() {
        need(1, "u8");
        return data[pos++] & 0xFF;
    }

    /** A boolean stored as 0 or 1; any other value is an error. */
    public boolean bool() {
        int at = pos;
        int v = u8();
        if (v > 1) {
            throw corrupt("a boolean at offset " + at + " is " + v + ", not 0 or 1");
        }
        return v == 1;
    }

    /** An unsigned 16-bit value. */
    public int u16() {
        need(2, "u16");
        int v = ((data[pos] & 0xFF) << 8) | (data[pos + 1] & 0xFF);
        pos += 2;
        return v;
    }

    /** A 32-bit value (as an int; use {@link Integer#toUnsignedLong} for unsigned). */
    public int u32() {
        need(4, "u32");
        int v = 0;
        for (int i = 0; i < 4; i++) {
            v = (v << 8) | (data[pos++] & 0xFF);
        }
        return v;
    }

    /** A 64-bit value. */
    public long u64() {
        need(8, "u64");
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (data[pos++] & 0xFF);
        }
        return v;
    }

    /** A {@code u32}-length-prefixed byte string of at most {@code maxLength} bytes. */
    public byte[] bytes(int maxLength) {
        int at = pos;
        int len = u32();
        if (len < 0 || len > maxLength) {
            throw corrupt("a byte string at offset " + at + " claims " + Integer.toUnsignedString(len)
                    + " bytes, more than the " + maxLength + " allowed");
        }
        return raw(len);
    }

    /** Exactly {@code length} bytes with no prefix. */
    public byte[] raw(int length) {
        need(length, length + " bytes");
        byte[] out = Arrays.copyOfRange(data, pos, pos + length);
        pos += length;
        return out;
    }

    /** A {@code u16}-length-prefixed UTF-8 string of at most {@code maxBytes} bytes; malformed UTF-8 is an error. */
    public String string(int maxBytes) {
        int at = pos;
        int len = u16();
        if (len > maxBytes) {
            throw corrupt("a string at offset " + at + " claims " + len + " bytes, more than the " + maxBytes
                    + " allowed");
        }
        need(len, "a string of " + len + " bytes");
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data, pos, len)).toString();
            pos += len;
            return s;
        } catch (CharacterCodingException e) {
            throw corrupt("a string at offset " + at + " is not valid UTF-8");
        }
    }

    /** A {@code u32}-count-prefixed array of 64-bit values, at most {@code maxCount} of them. */
    public long[] longs(int maxCount) {
        int at = pos;
        int count = u32();
        if (count < 0 || count > maxCount) {
            throw corrupt("an array at offset " + at + " claims " + Integer.toUnsignedString(count)
                    + " values, more than the " + maxCount + " allowed");
        }
        need(count * 8L, count + " 64-bit values");
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            out[i] = u64();
        }
        return out;
    }

    /**
     * Reads every remaining byte as subsections (see {@link StateWriter#subsection}), in stream order, by name.
     * A repeated name is an error. The caller decides which names it knows; an unknown name should be refused
     * with a message naming it, since it carries data this version cannot honour.
     */
    public Map<String, StateReader> subsections() {
        Map<String, StateReader> out = new LinkedHashMap<>();
        while (remaining() > 0) {
            int at = pos;
            int nameLen = u16();
            if (nameLen < 1 || nameLen > StateSection.MAX_NAME_LENGTH) {
                throw corrupt("a subsection at offset " + at + " has a name of " + nameLen + " bytes");
            }
            String name = new String(raw(nameLen), StandardCharsets.US_ASCII);
            byte[] body = bytes(StateSection.MAX_PAYLOAD_BYTES);
            if (out.put(name, new StateReader(body, context + "/" + name)) != null) {
                throw corrupt("subsection '" + name + "' appears twice");
            }
        }
        return out;
    }

    /** Bytes not read yet. */
    public int remaining() {
        return data.length - pos;
    }

    /** Current offset in the payload. */
    public int position() {
        return pos;
    }

    /** Fails unless every byte was read (catches a reader and writer that disagree on the layout). */
    public void expectEnd() {
        if (remaining() != 0) {
            throw corrupt(remaining() + " bytes are left unread after offset " + pos);
        }
    }

    /** An exception for a payload that does not have the expected layout. */
    public VmStateException corrupt(String what) {
        return new VmStateException("state section " + context + " is malformed: " + what
                + "; the stream is corrupt or was written by an incompatible version");
    }

    private void need(long n, String what) {
        if (n > data.length - pos) {
            throw corrupt("needed " + what + " at offset " + pos + " but only " + remaining() + " bytes are left");
        }
    }
}
