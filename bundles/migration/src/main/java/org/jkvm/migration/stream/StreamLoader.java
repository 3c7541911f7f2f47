package org.jkvm.migration.stream;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jkvm.memory.DirtyBitmap;
import org.jkvm.vmstate.StateSection;
import org.jkvm.vmstate.VmStateException;

/**
 * The destination's stream parser. It treats the stream as hostile: every type, flag, address, count and length
 * is checked before it is used, every record's CRC32C is compared, and the EOF record's record count and CRC
 * chain must match. RAM goes straight into guest memory (the guest does not run until everything has been
 * checked); device sections are kept until EOF and returned. A ZERO page is written only where the destination
 * may hold data (see {@link #mayBeNonZero}): the destination's RAM must be zero at the start except for pages
 * the VMM wrote through {@code GuestMemory.write} (which marks them). Not thread-safe.
 */
public final class StreamLoader {
    private static final ByteBuffer ZERO_PAGE = ByteBuffer.allocateDirect(StreamFormat.PAGE_SIZE);

    private final StreamIn in;
    private final RamWindows ram;
    private final byte[] flags = new byte[StreamFormat.MAX_PAGES_PER_RECORD];
    private final DirtyBitmap[] received;
    private final RoundListener roundListener;
    private final LayoutListener layoutListener;
    private volatile long pagesLoaded;
    /** Round 0's position: the gpa just past its last RAM or ZERO_RUN record; Long.MAX_VALUE after round 0. */
    private volatile long cursor;
    private boolean layoutSeen;
    private int round;
    private long pagesInRound;
    private int version = StreamFormat.VERSION;
    private int rawLength;

    /** Told when a round has been loaded (the destination then sends ROUND_DONE on the return path). */
    @FunctionalInterface
    public interface RoundListener {
        /** Round {@code round} and everything before it are in guest memory. */
        void roundLoaded(int round) throws IOException;
    }

    /** Told the RAM_LAYOUT hint (stream version 3), once, before any RAM: checked, but only a hint. */
    @FunctionalInterface
    public interface LayoutListener {
        /** Round 0 will send data in {@code extents} (ascending, non-overlapping, each inside one region). */
        void layout(List<RamLayout.Extent> extents);
    }

    /** What the stream ended with. */
    public record Result(List<StateSection> sections, boolean sourceRunning, int rounds) {
    }

    /** A loader of {@code in} into {@code ram} (views of the destination's RAM), without listeners. */
    public StreamLoader(StreamIn in, RamWindows ram) {
        this(in, ram, r -> { });
    }

    /** As {@link #StreamLoader(StreamIn, RamWindows, RoundListener, LayoutListener)}, ignoring the layout hint. */
    public StreamLoader(StreamIn in, RamWindows ram, RoundListener roundListener) {
        this(in, ram, roundListener, extents -> { });
    }

    /**
     * @param in             the stream
     * @param ram            views of the destination's RAM
     * @param roundListener  told after each ROUND_END was checked
     * @param layoutListener told the RAM_LAYOUT hint, when the stream has one
     */
    public StreamLoader(StreamIn in, RamWindows ram, RoundListener roundListener, LayoutListener layoutListener) {
        this.in = in;
        this.ram = ram;
        this.roundListener = roundListener;
        this.layoutListener = layoutListener;
        this.received = new DirtyBitmap[ram.regions().size()];
        for (int r = 0; r < received.length; r++) {
            received[r] = new DirtyBitmap(ram.regions().get(r).pages());
        }
    }

    /** Reads and checks the header. */
    public void header() throws IOException {
        int magic = in.u32();
        if (magic != StreamFormat.MAGIC) {
            throw new StreamException("the incoming data is not a jkvm migration stream (magic 0x"
                    + Integer.toHexString(magic) + " instead of 0x" + Integer.toHexString(StreamFormat.MAGIC)
                    + "); check the URI and what the source sends");
        }
        version = in.u32();
        if (version < StreamFormat.MIN_VERSION || version > StreamFormat.VERSION) {
            throw new StreamException("the migration stream has version " + version + " but this build reads "
                    + StreamFormat.MIN_VERSION + " to " + StreamFormat.VERSION + "; use compatible jkvm versions");
        }
        int pageSize = in.u32();
        if (pageSize != StreamFormat.PAGE_SIZE) {
            throw new StreamException("the migration stream uses " + pageSize + "-byte pages but this build "
                    + "uses " + StreamFormat.PAGE_SIZE);
        }
    }

    /** Reads the CONFIG (or CONFIG_DEFLATE) record: the source's fingerprint. */
    public Map<String, String> config() throws IOException {
        in.begin();
        int type = in.u8();
        if (type == StreamFormat.REC_CONFIG_DEFLATE && version >= StreamFormat.ZERO_RUN_SINCE) {
            String what = "CONFIG_DEFLATE record";
            byte[] raw = Zlib.inflate(deflated(StreamFormat.MAX_CONFIG_BYTES, what), rawLength, what);
            StreamIn body = new StreamIn(Channels.newChannel(new ByteArrayInputStream(raw)), 0);
            Map<String, String> cfg = configEntries(body);
            if (body.offset() != raw.length) {
                throw new StreamException("the " + what + " has " + (raw.length - body.offset())
                        + " bytes after its last entry; the stream is corrupt");
            }
            return cfg;
        }
        if (type != StreamFormat.REC_CONFIG) {
            throw new StreamException("the migration stream starts with a " + StreamFormat.recordName(type)
                    + " record instead of CONFIG; the stream is corrupt");
        }
        Map<String, String> cfg = configEntries(in);
        in.end("CONFIG record");
        return cfg;
    }

    private static Map<String, String> configEntries(StreamIn src) throws IOException {
        int n = src.u32();
        if (n < 0 || n > StreamFormat.MAX_CONFIG_ENTRIES) {
            throw new StreamException("the CONFIG record claims " + Integer.toUnsignedString(n)
                    + " entries, more than the " + StreamFormat.MAX_CONFIG_ENTRIES + " allowed; the stream is corrupt");
        }
        Map<String, String> cfg = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            String k = src.string(StreamFormat.MAX_CONFIG_KEY, "CONFIG key");
            cfg.put(k, src.string(StreamFormat.MAX_CONFIG_VALUE, "CONFIG value of " + k));
        }
        return cfg;
    }

    /**
     * Reads {@code u32 raw length, u32 length, zlib data} of a deflated record and its CRC, checking both lengths
     * against {@code maxRaw} (a deflated body is never longer than its raw form: the writer sends it raw then);
     * the raw length is left in {@link #rawLength}.
     */
    private byte[] deflated(int maxRaw, String what) throws IOException {
        int raw = in.u32();
        int len = in.u32();
        if (raw < 0 || raw > maxRaw || len < 0 || len > raw) {
            throw new StreamException("the " + what + " claims " + Integer.toUnsignedString(len)
                    + " compressed bytes for " + Integer.toUnsignedString(raw) + " (at most " + maxRaw
                    + ", and never more compressed than raw); the stream is corrupt");
        }
        byte[] z = in.bytes(len);
        in.end(what);
        rawLength = raw;
        return z;
    }

    /** Reads RAM, round ends and device sections up to and including EOF, checking everything. */
    public Result body() throws IOException {
        List<StateSection> sections = new ArrayList<>();
        long deviceBytes = 0;
        while (true) {
            int chainBefore = in.chainCrc();
            int recordsBefore = in.records();
            in.begin();
            int type = in.u8();
            switch (type) {
                case StreamFormat.REC_RAM -> ramRecord();
                case StreamFormat.REC_ZERO_RUN -> zeroRun();
                case StreamFormat.REC_ROUND_END -> roundEnd();
                case StreamFormat.REC_RAM_LAYOUT -> ramLayout();
                case StreamFormat.REC_DEVICE, StreamFormat.REC_DEVICE_DEFLATE -> {
                    StateSection s = device(type, deviceBytes);
                    deviceBytes += s.payload().length;
                    if (sections.size() >= StreamFormat.MAX_DEVICE_SECTIONS) {
                        throw new StreamException("the stream has more than " + StreamFormat.MAX_DEVICE_SECTIONS
                                + " device sections; it is corrupt");
                    }
                    sections.add(s);
                }
                case StreamFormat.REC_EOF -> {
                    boolean running = eof(chainBefore, recordsBefore + 1);
                    return new Result(sections, running, round);
                }
                default -> throw new StreamException("unknown record type 0x" + Integer.toHexString(type)
                        + " at stream offset " + (in.offset() - 1) + "; the stream is corrupt or from a newer jkvm");
            }
        }
    }

    /** Pages written into guest memory so far. */
    public long pagesLoaded() {
        return pagesLoaded;
    }

    /**
     * How far round 0 has been written: every page below this guest-physical address that round 0 sends is in
     * guest memory (round 0 goes in address order); {@link Long#MAX_VALUE} once round 0 has ended. Any thread.
     */
    public long cursor() {
        return cursor;
    }

    /** Bytes read so far. */
    public long bytesRead() {
        return in.offset();
    }

    private void ramRecord() throws IOException {
        long gpa = in.u64();
        int count = in.u16();
        String what = "RAM record at gpa 0x" + Long.toHexString(gpa) + " (round " + round + ")";
        if (count < 1 || count > StreamFormat.MAX_PAGES_PER_RECORD) {
            throw new StreamException("the " + what + " has " + count + " pages, outside 1.."
                    + StreamFormat.MAX_PAGES_PER_RECORD + "; the stream is corrupt");
        }
        int region = (gpa & (StreamFormat.PAGE_SIZE - 1)) == 0 ? ram.regionOf(gpa, count) : -1;
        if (region < 0) {
            throw new StreamException("the " + what + " with " + count + " pages is not page-aligned guest RAM "
                    + "here; the destination has a different memory layout or the stream is corrupt");
        }
        for (int i = 0; i < count; i++) {
            int f = in.u8();
            if (f != StreamFormat.RAM_ZERO && f != StreamFormat.RAM_PAGE) {
                throw new StreamException("the " + what + " has page flag 0x" + Integer.toHexString(f)
                        + "; only ZERO (0x02) and PAGE (0x08) exist in version " + StreamFormat.VERSION);
            }
            flags[i] = (byte) f;
        }
        long first = (gpa - ram.regions().get(region).gpa()) / StreamFormat.PAGE_SIZE;
        int i = 0;
        while (i < count) {
            long page = first + i;
            ByteBuffer window = ram.window(region, page);
            int off = RamWindows.offset(page);
            if (flags[i] == StreamFormat.RAM_PAGE) {
                int n = 1;
                int max = (int) Math.min(count - i, RamWindows.pagesLeftInWindow(page));
                while (n < max && flags[i + n] == StreamFormat.RAM_PAGE) {
                    n++;
                }
                in.pages(window, off, n);
                received[region].markRange(page * StreamFormat.PAGE_SIZE, (long) n * StreamFormat.PAGE_SIZE);
                i += n;
                continue;
            }
            if (mayBeNonZero(region, page) && !RamWindows.isZero(window, off)) {
                window.put(off, ZERO_PAGE, 0, StreamFormat.PAGE_SIZE);
            }
            i++;
        }
        in.end(what);
        pagesInRound += count;
        pagesLoaded += count;
        if (round == 0) {
            cursor = gpa + (long) count * StreamFormat.PAGE_SIZE;
        }
    }

    /**
     * A ZERO_RUN record: checked whole (bounds, then CRC) before any page is touched, then every page of the run
     * that may hold data here is made zero; fresh pages are not even read.
     */
    private void zeroRun() throws IOException {
        requireVersion(StreamFormat.ZERO_RUN_SINCE, StreamFormat.REC_ZERO_RUN);
        long gpa = in.u64();
        long pages = Integer.toUnsignedLong(in.u32());
        String what = "ZERO_RUN record at gpa 0x" + Long.toHexString(gpa) + " (round " + round + ")";
        if (pages < 1) {
            throw new StreamException("the " + what + " has 0 pages; the stream is corrupt");
        }
        int region = (gpa & (StreamFormat.PAGE_SIZE - 1)) == 0 ? ram.regionOf(gpa, pages) : -1;
        if (region < 0) {
            throw new StreamException("the " + what + " with " + pages + " pages is not page-aligned guest RAM "
                    + "here (unaligned, or past the end of a RAM region); the destination has a different memory "
                    + "layout or the stream is corrupt");
        }
        in.end(what);
        long first = (gpa - ram.regions().get(region).gpa()) / StreamFormat.PAGE_SIZE;
        DirtyBitmap got = received[region];
        DirtyBitmap vmm = ram.regions().get(region).vmmDirty();
        for (long page = first, end = first + pages; page < end; page++) {
            long mayHoldData = got.word((int) (page >>> 6)) | vmm.word((int) (page >>> 6)); // as mayBeNonZero
            if (mayHoldData == 0) {
                page |= 63; // none of this word's 64 pages: a run over fresh RAM costs one test per 64 pages
            } else if ((mayHoldData & (1L << (page & 63))) != 0) {
                ByteBuffer window = ram.window(region, page);
                int off = RamWindows.offset(page);
                if (!RamWindows.isZero(window, off)) {
                    window.put(off, ZERO_PAGE, 0, StreamFormat.PAGE_SIZE);
                }
            }
        }
        pagesInRound += pages;
        pagesLoaded += pages;
        if (round == 0) {
            cursor = gpa + pages * StreamFormat.PAGE_SIZE;
        }
    }

    /** The RAM_LAYOUT hint: allowed once, before any RAM record; checked whole ({@link RamLayout#read}), handed on. */
    private void ramLayout() throws IOException {
        requireVersion(StreamFormat.LAYOUT_SINCE, StreamFormat.REC_RAM_LAYOUT);
        long at = in.offset() - 1;
        if (layoutSeen || round > 0 || pagesInRound > 0) {
            throw new StreamException("the RAM_LAYOUT record at stream offset " + at + " comes after RAM records "
                    + "or a second time; the stream is corrupt");
        }
        layoutSeen = true;
        layoutListener.layout(RamLayout.read(in, ram));
    }

    private void requireVersion(int since, int type) {
        if (version < since) {
            throw new StreamException("record type 0x" + Integer.toHexString(type) + " ("
                    + StreamFormat.recordName(type) + ") at stream offset " + (in.offset() - 1)
                    + " does not exist in a version " + version + " stream; the stream is corrupt");
        }
    }

    /**
     * Whether a page may hold data here: received whole earlier in this stream, or written by the VMM before it
     * (marked in the region's VMM dirty bitmap, e.g. by the firmware loader). Any other page is untouched fresh
     * RAM, zero by definition, and is not even read (a read costs a fault, and allocates shared memory).
     */
    private boolean mayBeNonZero(int region, long page) {
        return received[region].isDirty(page) || ram.regions().get(region).vmmDirty().isDirty(page);
    }

    private void roundEnd() throws IOException {
        int r = in.u32();
        long pages = in.u64();
        in.end("ROUND_END record of round " + r);
        if (r != round || pages != pagesInRound) {
            throw new StreamException("round " + round + " ended with " + pagesInRound + " pages but the source "
                    + "says round " + r + " had " + pages + "; records were lost or reordered");
        }
        if (round == 0) {
            cursor = Long.MAX_VALUE;
        }
        roundListener.roundLoaded(round);
        round++;
        pagesInRound = 0;
    }

    private StateSection device(int type, long deviceBytesSoFar) throws IOException {
        boolean deflate = type == StreamFormat.REC_DEVICE_DEFLATE;
        if (deflate) {
            requireVersion(StreamFormat.ZERO_RUN_SINCE, type);
        }
        String name = in.string(StateSection.MAX_NAME_LENGTH, "DEVICE section name");
        int instance = in.u32();
        int sectionVersion = in.u32();
        String what = "DEVICE section " + name + "#" + instance;
        long cap = Math.min(StateSection.MAX_PAYLOAD_BYTES, StreamFormat.MAX_DEVICE_BYTES - deviceBytesSoFar);
        byte[] payload;
        if (deflate) {
            payload = Zlib.inflate(deflated((int) cap, what), rawLength, what);
        } else {
            int len = in.u32();
            if (len < 0 || len > cap) {
                throw new StreamException("the " + what + " claims " + Integer.toUnsignedString(len)
                        + " bytes, more than allowed; the stream is corrupt");
            }
            payload = in.bytes(len);
            in.end(what);
        }
        try {
            return new StateSection(name, instance, sectionVersion, payload);
        } catch (VmStateException e) {
            throw new StreamException("the " + what + " is invalid: " + e.getMessage(), e);
        }
    }

    private boolean eof(int expectedChain, int expectedRecords) throws IOException {
        int running = in.u8();
        int records = in.u32();
        int chain = in.u32();
        in.end("EOF record");
        if (running > 1) {
            throw new StreamException("the EOF record has run state " + running + ", not 0 or 1");
        }
        if (records != expectedRecords - 1 || chain != expectedChain) {
            throw new StreamException("the EOF record counts " + records + " records (CRC chain 0x"
                    + Integer.toHexString(chain) + ") but " + (expectedRecords - 1) + " arrived (chain 0x"
                    + Integer.toHexString(expectedChain) + "); records were lost or reordered");
        }
        return running == 1;
    }
}
