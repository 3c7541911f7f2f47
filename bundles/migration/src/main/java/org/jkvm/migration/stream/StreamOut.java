package org.jkvm.migration.stream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import java.util.zip.Deflater;

import org.jkvm.vmstate.StateSection;

/**
 * The source's stream writer, the one place that lays out the bytes of every record of {@link StreamFormat}
 * (header, CONFIG, RAM_LAYOUT, RAM, ZERO_RUN, ROUND_END, DEVICE, EOF): one direct buffer, big writes, a CRC32C per
 * record and the chain of record CRCs for the EOF record. Callers decide what to send ({@link RamSender} which
 * pages, {@link RamLayout} the extents, the migration when a round ends); the framing stays inside this package.
 * Nothing is allocated per page. Bytes are charged to the {@link Throttle} when {@link #throttled(boolean)} is on
 * (the iterative rounds), never in the final pass. All integers are big-endian. Not thread-safe.
 */
public final class StreamOut {
    /** What the bytes of the iterative rounds are charged to: the migration's bandwidth limit. */
    @FunctionalInterface
    public interface Throttle {
        /** Charges {@code bytes} about to be written, waiting first when over budget. */
        void acquire(long bytes) throws InterruptedException;
    }

    /** No limit. */
    public static final Throttle UNLIMITED = bytes -> {
    };

    private final WritableByteChannel channel;
    private final ByteBuffer buf;
    private final int flushThreshold;
    private final CRC32C crc = new CRC32C();
    private final CRC32C chain = new CRC32C();
    private final Throttle limiter;
    private boolean throttled;
    private boolean inRecord;
    private int crcFrom;
    private int records;
    private long bytesWritten;
    /** One deflater for every record of this stream (its native state is set up once, not per record). */
    private Deflater deflater;
    private boolean deflateDevices = true;

    /**
     * @param channel  where the stream goes
     * @param capacity buffer size in bytes, at least 2 MiB (one full RAM record fits)
     * @param limiter  the bandwidth limit of the iterative rounds
     */
    public StreamOut(WritableByteChannel channel, int capacity, Throttle limiter) {
        this.channel = channel;
        this.buf = ByteBuffer.allocateDirect(Math.max(capacity, 2 << 20)).order(ByteOrder.BIG_ENDIAN);
        this.flushThreshold = buf.capacity() / 2;
        this.limiter = limiter;
    }

    /** Writes the stream header: {@code u32 MAGIC, u32 VERSION, u32 PAGE_SIZE}. */
    public void header() throws IOException {
        ensure(12);
        buf.putInt(StreamFormat.MAGIC).putInt(StreamFormat.VERSION).putInt(StreamFormat.PAGE_SIZE);
    }

    /**
     * Writes the configuration fingerprint as one CONFIG record ({@code u32 n}, then {@code u16}-length UTF-8 key
     * and value per entry), or as CONFIG_DEFLATE ({@code u32} raw length, {@code u32}-length zlib data of the same
     * fields) when that is smaller.
     */
    public void config(Map<String, String> cfg) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        raw.write(cfg.size() >>> 24);
        raw.write(cfg.size() >>> 16);
        raw.write(cfg.size() >>> 8);
        raw.write(cfg.size());
        for (Map.Entry<String, String> e : cfg.entrySet()) {
            str16(raw, e.getKey());
            str16(raw, e.getValue());
        }
        byte[] body = raw.toByteArray();
        byte[] z = Zlib.deflate(body, deflater());
        if (z.length < body.length) {
            begin(StreamFormat.REC_CONFIG_DEFLATE, 4);
            buf.putInt(body.length);
            bytes(z);
        } else {
            begin(StreamFormat.REC_CONFIG, 0);
            raw(body);
        }
        end();
    }

    /** Writes the RAM_LAYOUT record: {@code u32 n}, then {@code u64 gpa, u32 pages} per extent. */
    public void ramLayout(List<RamLayout.Extent> extents) throws IOException {
        if (extents.size() > StreamFormat.MAX_LAYOUT_EXTENTS) {
            throw new IllegalArgumentException(extents.size() + " extents, more than the "
                    + StreamFormat.MAX_LAYOUT_EXTENTS + " a RAM_LAYOUT record holds");
        }
        begin(StreamFormat.REC_RAM_LAYOUT, 4 + 12 * extents.size());
        buf.putInt(extents.size());
        for (RamLayout.Extent e : extents) {
            buf.putLong(e.gpa()).putInt((int) e.pages());
        }
        end();
    }

    /**
     * Writes one RAM record for {@code count} consecutive pages of a region, starting at page {@code page}: {@code
     * u64 gpa, u16 count}, the flags {@code flags[from .. from + count)} ({@link StreamFormat#RAM_ZERO} or
     * {@link StreamFormat#RAM_PAGE}), then the data of each PAGE page copied from guest memory. Flushes when the
     * buffer is half full.
     *
     * @param ram    the guest memory views
     * @param region the region index in {@code ram}
     * @param count  1 to {@link StreamFormat#MAX_PAGES_PER_RECORD}
     * @return the number of pages sent with their data
     */
    public int ram(RamWindows ram, int region, long page, byte[] flags, int from, int count) throws IOException {
        int data = 0;
        for (int i = from; i < from + count; i++) {
            data += flags[i] == StreamFormat.RAM_PAGE ? 1 : 0;
        }
        long gpa = ram.regions().get(region).gpa() + page * StreamFormat.PAGE_SIZE;
        begin(StreamFormat.REC_RAM, 8 + 2 + count + data * StreamFormat.PAGE_SIZE);
        buf.putLong(gpa).putShort((short) count).put(flags, from, count);
        for (int i = 0; i < count; i++) {
            if (flags[from + i] == StreamFormat.RAM_PAGE) {
                page(ram.window(region, page + i), RamWindows.offset(page + i));
            }
        }
        end();
        maybeFlush();
        return data;
    }

    /** Writes a ZERO_RUN record ({@code u64 gpa, u32 pages}) and flushes when the buffer is half full. */
    public void zeroRun(long gpa, long pages) throws IOException {
        begin(StreamFormat.REC_ZERO_RUN, 8 + 4);
        buf.putLong(gpa).putInt((int) pages);
        end();
        maybeFlush();
    }

    /** Writes a ROUND_END record: {@code u32 round, u64 pages sent in the round}. */
    public void roundEnd(int round, long pages) throws IOException {
        begin(StreamFormat.REC_ROUND_END, 12);
        buf.putInt(round).putLong(pages);
        end();
    }

    /**
     * Writes one device section as a DEVICE record ({@code u16}-length name, {@code u32 instance, u32 version},
     * {@code u32}-length payload), or as DEVICE_DEFLATE (the raw length before a zlib payload) when that is smaller.
     */
    /**
     * Runs the device records' codec (deflate and inflate, as {@link #device} and the destination's loader use it)
     * once on a small sample, so that its first real use, inside the guest's downtime, does not pay the native
     * library's first calls and the classes' loading. Either side calls it before the downtime; any thread.
     */
    public static void warmUpCodec() {
        // A deflater of its own: the stream's is made on first use, and this may run on another thread.
        byte[] sample = new byte[512];
        for (int i = 0; i < sample.length; i += 13) {
            sample[i] = (byte) i;
        }
        Zlib.inflate(Zlib.deflate(sample), sample.length, "codec warm-up");
    }

    public void device(StateSection s) throws IOException {
        byte[] z = deflateDevices ? Zlib.deflate(s.payload(), deflater()) : null;
        boolean deflated = z != null && z.length < s.payload().length;
        begin(deflated ? StreamFormat.REC_DEVICE_DEFLATE : StreamFormat.REC_DEVICE,
                2 + StateSection.MAX_NAME_LENGTH + 12);
        string(s.name());
        buf.putInt(s.instance()).putInt(s.version());
        if (deflated) {
            buf.putInt(s.payload().length);
            bytes(z);
        } else {
            bytes(s.payload());
        }
        end();
    }

    /**
     * Writes the EOF record: {@code u8 running}, the number of records before it and the CRC32C over their CRCs.
     *
     * @param running whether the guest ran on the source when the migration stopped it (the destination resumes it)
     */
    public void eof(boolean running) throws IOException {
        int before = records;
        int chainCrc = chainCrc();
        begin(StreamFormat.REC_EOF, 9);
        buf.put((byte) (running ? 1 : 0)).putInt(before).putInt(chainCrc);
        end();
    }

    /**
     * Whether {@link #device} deflates the sections it writes (the default) or writes them plain: a sender that
     * measured a link faster than the deflater turns it off for the device state, which is written inside the
     * guest's downtime. The destination reads both record types.
     */
    public void deflateDevices(boolean on) {
        deflateDevices = on;
    }

    /** Charges the rate limiter from now on ({@code true}) or not. */
    public void throttled(boolean on) {
        throttled = on;
    }

    /** Starts a record; {@code maxBytes} (fields and data, without the CRC) are reserved in the buffer. */
    void begin(int type, int maxBytes) throws IOException {
        ensure(maxBytes + 5);
        inRecord = true;
        crc.reset();
        crcFrom = buf.position();
        buf.put((byte) type);
    }

    /** Ends the record: appends its CRC32C and adds that to the chain. */
    void end() throws IOException {
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
    ByteBuffer buffer() {
        return buf;
    }

    /** Appends a {@code u16}-length UTF-8 string. */
    void string(String s) throws IOException {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        ensure(2 + utf8.length);
        buf.putShort((short) utf8.length).put(utf8);
    }

    /** Appends a {@code u32}-length byte string, in pieces if it is larger than the buffer. */
    void bytes(byte[] data) throws IOException {
        ensure(4);
        buf.putInt(data.length);
        raw(data);
    }

    /** Appends bytes as they are, without a length, in pieces if they are larger than the buffer. */
    void raw(byte[] data) throws IOException {
        int off = 0;
        while (off < data.length) {
            ensure(1);
            int n = Math.min(buf.remaining(), data.length - off);
            buf.put(data, off, n);
            off += n;
        }
    }

    /** Appends one page from {@code src} at {@code offset}, without allocating (within a reservation). */
    private void page(ByteBuffer src, int offset) {
        int pos = buf.position();
        buf.put(pos, src, offset, StreamFormat.PAGE_SIZE);
        buf.position(pos + StreamFormat.PAGE_SIZE);
    }

    /** Writes the buffer out when it is at least half full. */
    void maybeFlush() throws IOException {
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

    private Deflater deflater() {
        if (deflater == null) {
            deflater = Zlib.newDeflater();
        }
        return deflater;
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

    private static void str16(ByteArrayOutputStream out, String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.write(utf8.length >>> 8);
        out.write(utf8.length);
        out.write(utf8, 0, utf8.length);
    }
}
