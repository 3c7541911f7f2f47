package org.jkvm.migration.stream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

import org.jkvm.migration.RateLimiter;

/**
 * The source's buffered record writer: one direct buffer, big writes, a CRC32C per record and the chain of record
 * CRCs for the EOF record. Nothing is allocated per page. Bytes are charged to the {@link RateLimiter} when
 * {@link #throttled(boolean)} is on (the iterative rounds), never in the final pass. Not thread-safe.
 */
public final class StreamOut {
    private final WritableByteChannel channel;
    private final ByteBuffer buf;
    private final int flushThreshold;
    private final CRC32C crc = new CRC32C();
    private final CRC32C chain = new CRC32C();
    private final RateLimiter limiter;
    private boolean throttled;
    private boolean inRecord;
    private int crcFrom;
    private int records;
    private long bytesWritten;

    /**
     * @param channel  where the stream goes
     * @param capacity buffer size in bytes, at least 2 MiB (one full RAM record fits)
     * @param limiter  the bandwidth limit of the iterative rounds
     */
    public StreamOut(WritableByteChannel channel, int capacity, RateLimiter limiter) {
        this.channel = channel;
        this.buf = ByteBuffer.allocateDirect(Math.max(capacity, 2 << 20)).order(ByteOrder.BIG_ENDIAN);
        this.flushThreshold = buf.capacity() / 2;
        this.limiter = limiter;
    }

    /** Writes the stream header. */
    public void header() throws IOException {
        ensure(12);
        buf.putInt(StreamFormat.MAGIC).putInt(StreamFormat.VERSION).putInt(StreamFormat.PAGE_SIZE);
    }

    /** Charges the rate limiter from now on ({@code true}) or not. */
    public void throttled(boolean on) {
        throttled = on;
    }

    /** Starts a record; {@code maxBytes} (fields and data, without the CRC) are reserved in the buffer. */
    public void begin(int type, int maxBytes) throws IOException {
        ensure(maxBytes + 5);
        inRecord = true;
        crc.reset();
        crcFrom = buf.position();
        buf.put((byte) type);
    }

    /** Ends the record: appends its CRC32C and adds that to the chain. */
    public void end() throws IOException {
        ensure(4);
        updateCrc();
        int value = (int) crc.getValue();
        buf.putInt(value);
        chain.update(value >>> 24);
        chain.update(value >>> 16);
        chain.update(value >>> 8);
        chain.update(value);
        records++;
        inRecord = false;
    }

    /** The buffer, for {@code put} calls within a {@link #begin} reservation. */
    public ByteBuffer buffer() {
        return buf;
    }

    /** Appends a {@code u16}-length UTF-8 string. */
    public void string(String s) throws IOException {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        ensure(2 + utf8.length);
        buf.putShort((short) utf8.length).put(utf8);
    }

    /** Appends a {@code u32}-length byte string, in pieces if it is larger than the buffer. */
    public void bytes(byte[] data) throws IOException {
        ensure(4);
        buf.putInt(data.length);
        raw(data);
    }

    /** Appends bytes as they are, without a length, in pieces if they are larger than the buffer. */
    public void raw(byte[] data) throws IOException {
        int off = 0;
        while (off < data.length) {
            ensure(1);
            int n = Math.min(buf.remaining(), data.length - off);
            buf.put(data, off, n);
            off += n;
        }
    }

    /** Appends one page from {@code src} at {@code offset}, without allocating (within a reservation). */
    public void page(ByteBuffer src, int offset) {
        int pos = buf.position();
        buf.put(pos, src, offset, StreamFormat.PAGE_SIZE);
        buf.position(pos + StreamFormat.PAGE_SIZE);
    }

    /** Writes the buffer out when it is at least half full. */
    public void maybeFlush() throws IOException {
        if (buf.position() >= flushThreshold) {
            flush();
        }
    }

    /** Writes everything buffered, waiting on the rate limiter first when throttled. */
    public void flush() throws IOException {
        if (inRecord) {
            updateCrc();
        }
        buf.flip();
        int n = buf.remaining();
        if (throttled && n > 0) {
            try {
                limiter.acquire(n);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while rate limited");
            }
        }
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
        bytesWritten += n;
        buf.clear();
        crcFrom = 0;
    }

    /** The CRC32C over every record CRC so far. */
    public int chainCrc() {
        return (int) chain.getValue();
    }

    /** Records completed so far. */
    public int records() {
        return records;
    }

    /** Bytes handed to the channel plus bytes buffered. */
    public long bytesWritten() {
        return bytesWritten + buf.position();
    }

    private void ensure(int n) throws IOException {
        if (buf.remaining() < n) {
            flush();
        }
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
