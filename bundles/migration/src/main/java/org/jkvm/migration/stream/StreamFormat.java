package org.jkvm.migration.stream;

/**
 * The numbers of the migration stream, version 3 (versions 1 and 2 are still read). The full layout, with the
 * versioning rule, is in {@code docs/migration-stream.md}; every value there is defined here. All integers are
 * big-endian.
 *
 * <pre>
 * header   u32 MAGIC  u32 VERSION  u32 PAGE_SIZE
 * record   u8 type  ...fields...  u32 crc32c(type byte .. last field)
 *   0x01 CONFIG     u32 n, n x (u16 len, key UTF-8; u16 len, value UTF-8)
 *   0x02 RAM        u64 gpa, u16 count (1..256), count x u8 flag, then one page per PAGE flag
 *   0x03 ROUND_END  u32 round, u64 pages sent in the round
 *   0x04 DEVICE     u16 len, name; u32 instance; u32 version; u32 len, payload
 *   0x05 EOF        u8 running, u32 records before EOF, u32 crc32c over their CRCs (big-endian u32 each)
 *   0x06 ZERO_RUN   u64 gpa, u32 pages (1..region end): that many consecutive zero pages (version 2 on)
 *   0x07 CONFIG_DEFLATE  u32 raw length, u32 len, zlib data of the CONFIG fields (version 2 on)
 *   0x08 DEVICE_DEFLATE  u16 len, name; u32 instance; u32 version; u32 raw length; u32 len, zlib payload (v2 on)
 *   0x09 RAM_LAYOUT u32 n (0..65536), n x (u64 gpa, u32 pages): where round 0 will send data; a hint (v3 on)
 * return path (destination to source)  u8 type, u16 len, UTF-8 text
 *   0x01 CONFIG_OK  0x02 REFUSED  0x03 LOADED  0x04 FAILED  0x05 ROUND_DONE
 * handover byte (source to destination, after LOADED)  0xC0
 * </pre>
 *
 * <p>Type 0x00 and the values not listed are reserved: a reader refuses them. A retired value is never reused.
 */
public final class StreamFormat {
    private StreamFormat() {
    }

    /** "JKMS": jkvm migration stream. */
    public static final int MAGIC = 0x4A4B4D53;
    /** The version this build writes. */
    public static final int VERSION = 3;
    /** The oldest version this build reads. */
    public static final int MIN_VERSION = 1;
    /** Bytes per page; a stream with another page size is refused. */
    public static final int PAGE_SIZE = 4096;

    /** The configuration fingerprint: sorted key=value pairs. */
    public static final int REC_CONFIG = 0x01;
    /** A run of consecutive pages. */
    public static final int REC_RAM = 0x02;
    /** End of one RAM round (the full pass is round 0). */
    public static final int REC_ROUND_END = 0x03;
    /** One device state section. */
    public static final int REC_DEVICE = 0x04;
    /** End of the stream. */
    public static final int REC_EOF = 0x05;
    /** A run of consecutive zero pages in a few bytes; exists from version {@link #ZERO_RUN_SINCE} on. */
    public static final int REC_ZERO_RUN = 0x06;
    /** The CONFIG fields ({@code u32 n} and the pairs), zlib-compressed; from version 2 on. */
    public static final int REC_CONFIG_DEFLATE = 0x07;
    /** A DEVICE record whose payload is zlib-compressed; from version 2 on. */
    public static final int REC_DEVICE_DEFLATE = 0x08;
    /** The first stream version with ZERO_RUN, CONFIG_DEFLATE and DEVICE_DEFLATE records. */
    public static final int ZERO_RUN_SINCE = 2;
    /**
     * The extents of guest RAM round 0 will send with data, sent once before any RAM, so the destination can
     * allocate its memory ahead of the stream; from version {@link #LAYOUT_SINCE} on.
     */
    public static final int REC_RAM_LAYOUT = 0x09;
    /** The first stream version with the RAM_LAYOUT record. */
    public static final int LAYOUT_SINCE = 3;
    /** Most extents in one RAM_LAYOUT record (12 bytes each: 768 KiB). */
    public static final int MAX_LAYOUT_EXTENTS = 1 << 16;

    /** Page flag: the page is all zeros; no data follows for it. */
    public static final int RAM_ZERO = 0x02;
    /** Page flag: {@link #PAGE_SIZE} bytes of data follow for it. */
    public static final int RAM_PAGE = 0x08;
    /** Most pages in one RAM record. */
    public static final int MAX_PAGES_PER_RECORD = 256;

    /** Most configuration entries. */
    public static final int MAX_CONFIG_ENTRIES = 4096;
    /** Longest configuration key, in UTF-8 bytes. */
    public static final int MAX_CONFIG_KEY = 256;
    /** Longest configuration value, in UTF-8 bytes. */
    public static final int MAX_CONFIG_VALUE = 4096;
    /** Most bytes of CONFIG fields (the raw length of a CONFIG_DEFLATE record): every entry at its caps. */
    public static final int MAX_CONFIG_BYTES = 4 + MAX_CONFIG_ENTRIES * (2 + MAX_CONFIG_KEY + 2 + MAX_CONFIG_VALUE);
    /** Most device sections in one stream. */
    public static final int MAX_DEVICE_SECTIONS = 4096;
    /** Most device-state bytes in one stream (all sections together). */
    public static final long MAX_DEVICE_BYTES = 256L << 20;

    /** Return path: the configuration matches, send RAM. */
    public static final int RP_CONFIG_OK = 0x01;
    /** Return path: the configuration differs (text: the differences); the destination closes. */
    public static final int RP_REFUSED = 0x02;
    /** Return path: everything was received, checked and loaded; waiting for the handover byte. */
    public static final int RP_LOADED = 0x03;
    /** Return path: the destination failed (text: why, e.g. a checksum error naming the record). */
    public static final int RP_FAILED = 0x04;
    /**
     * Return path: the destination has loaded every record up to the ROUND_END of the round in the text (decimal).
     * The source waits for the last one before it pauses the guest, so no backlog is left for the downtime.
     */
    public static final int RP_ROUND_DONE = 0x05;
    /** Longest return-path text, in UTF-8 bytes. */
    public static final int MAX_RP_TEXT = 4096;

    /** Source to destination after {@link #RP_LOADED}: the source has stopped for good; the destination may run. */
    public static final int HANDOVER = 0xC0;

    /** A record type's name, for messages. */
    public static String recordName(int type) {
        return switch (type) {
            case REC_CONFIG -> "CONFIG";
            case REC_RAM -> "RAM";
            case REC_ROUND_END -> "ROUND_END";
            case REC_DEVICE -> "DEVICE";
            case REC_EOF -> "EOF";
            case REC_ZERO_RUN -> "ZERO_RUN";
            case REC_CONFIG_DEFLATE -> "CONFIG_DEFLATE";
            case REC_DEVICE_DEFLATE -> "DEVICE_DEFLATE";
            case REC_RAM_LAYOUT -> "RAM_LAYOUT";
            default -> "unknown type 0x" + Integer.toHexString(type);
        };
    }
}
