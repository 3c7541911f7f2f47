package org.jkvm.migration.stream;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.ScatteringByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;


/**
 * The destination's buffered record reader: one direct buffer, big reads, the CRC32C of the current record and
 * the chain of record CRCs. Every length is checked by the caller before it asks for the bytes. Not thread-safe.
 */
public final class StreamIn {
    private final ReadableByteChannel channel;
    private final ByteBuffer buf;
    private final CRC32C crc = new CRC32C();
    private final CRC32C chain = new CRC32C();
    private int crcFrom;
    private int records;
    private long consumedBefore;

    /** @param capacity buffer size, at least 64 KiB */
    public StreamIn(ReadableByteChannel channel, int capacity) {
        this.channel = channel;
        this.buf = ByteBuffer.allocateDirect(Math.max(capacity, 64 << 10)).order(ByteOrder.BIG_ENDIAN);
        buf.limit(0);
    }

    /** Starts a record: the CRC covers everything read from here to {@link #end}. */
    public void begin() {
        crc.reset();
        crcFrom = buf.position();
    }

    /**
     * Reads the record's CRC and compares it.
     *
     * @param what the record, for the message (e.g. "RAM record at gpa 0x1000 (round 2)")
     * @throws StreamException on a mismatch: a checksum error naming the record
     */
    public void end(String what) throws IOException {
        updateCrc();
        int expected = (int) crc.getValue();
        fill(4);
        int actual = buf.getInt();
        crcFrom = buf.position();
        if (actual != expected) {
            throw new StreamException("checksum error in the " + what + " at stream offset " + offset()
                    + ": CRC32C 0x" + Integer.toHexString(actual) + " was sent but the data gives 0x"
                    + Integer.toHexString(expected) + "; the stream was corrupted in transit or storage");
        }
        chain.update(actual >>> 24);
        chain.update(actual >>> 16);
        chain.update(actual >>> 8);
        chain.update(actual);
        records++;
    }

    /** One unsigned byte. */
    public int u8() throws IOException {
        fill(1);
        return buf.get() & 0xFF;
    }

    /** An unsigned 16-bit value. */
    public int u16() throws IOException {
        fill(2);
        return buf.getShort() & 0xFFFF;
    }

    /** A 32-bit value. */
    public int u32() throws IOException {
        fill(4);
        return buf.getInt();
    }

    /** A 64-bit value. */
    public long u64() throws IOException {
        fill(8);
        return buf.getLong();
    }

    /** Exactly {@code n} bytes into a new array; the caller has capped {@code n}. */
    public byte[] bytes(int n) throws IOException {
        byte[] out = new byte[n];
        int off = 0;
        while (off < n) {
            fill(1);
            int k = Math.min(buf.remaining(), n - off);
            buf.get(out, off, k);
            off += k;
        }
        return out;
    }

    /** A {@code u16}-length UTF-8 string of at most {@code maxBytes}. */
    public String string(int maxBytes, String what) throws IOException {
        int len = u16();
        if (len > maxBytes) {
            throw new StreamException("the " + what + " claims " + len + " bytes, more than the " + maxBytes
                    + " allowed; the stream is corrupt");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes(len))).toString();
        } catch (CharacterCodingException e) {
            throw new StreamException("the " + what + " is not valid UTF-8; the stream is corrupt");
        }
    }

    /** Copies one page into {@code dst} at {@code index}, without allocating. */
    public void page(ByteBuffer dst, int index) throws IOException {
        fill(StreamFormat.PAGE_SIZE);
        int pos = buf.position();
        dst.put(index, buf, pos, StreamFormat.PAGE_SIZE);
        buf.position(pos + StreamFormat.PAGE_SIZE);
    }

    /**
     * Copies {@code n} consecutive pages of record data into {@code dst} at {@code index} ({@code n * PAGE_SIZE}
     * bytes inside {@code dst}). When they are not all buffered yet and the channel can scatter (a socket or a pipe),
     * the buffered part is copied and the rest is read from the channel straight into {@code dst}, one scattering
     * read also refilling the buffer with what follows: no intermediate copy of the pages. The record CRC then covers
     * the bytes where they landed, so corruption is detected exactly as on the buffered path.
     */
    public void pages(ByteBuffer dst, int index, int n) throws IOException {
        int len = n * StreamFormat.PAGE_SIZE;
        if (buf.remaining() >= len || !(channel instanceof ScatteringByteChannel scatter)) {
            for (int i = 0; i < n; i++) {
                page(dst, index + i * StreamFormat.PAGE_SIZE);
            }
            return;
        }
        updateCrc();
        int buffered = buf.remaining();
        dst.put(index, buf, buf.position(), buffered);
        consumedBefore += buf.limit();
        buf.clear();
        ByteBuffer rest = dst.slice(index + buffered, len - buffered);
        ByteBuffer[] targets = {rest, buf};
        while (rest.hasRemaining()) {
            if (scatter.read(targets) < 0) {
                consumedBefore += len - buffered - rest.remaining();
                buf.flip();
                crcFrom = 0;
                throw new EOFException("the stream ended after " + offset() + " bytes while " + rest.remaining()
                        + " more were expected");
            }
        }
        consumedBefore += len - buffered;
        buf.flip();
        crcFrom = 0;
        crc.update(dst.slice(index, len));
    }

    /** The CRC32C over every record CRC read so far. */
    public int chainCrc() {
        return (int) chain.getValue();
    }

    /** Records checked so far. */
    public int records() {
        return records;
    }

    /** Bytes consumed from the stream so far. */
    public long offset() {
        return consumedBefore + buf.position();
    }

    /** Makes at least {@code n} bytes available, reading as much as the channel gives. */
    private void fill(int n) throws IOException {
        if (buf.remaining() >= n) {
            return;
        }
        updateCrc();
        consumedBefore += buf.position();
        buf.compact();
        crcFrom = 0;
        while (buf.position() < n) {
            if (channel.read(buf) < 0) {
                buf.flip();
                throw new EOFException("the stream ended after " + offset() + " bytes while " + n
                        + " more were expected");
            }
        }
        buf.flip();
    }

    private void updateCrc() {
        int end = buf.position();
        int limit = buf.limit();
        buf.limit(end).position(crcFrom);
        crc.update(buf);
        buf.limit(limit);
        buf.position(end);
        crcFrom = end;
    }
}
