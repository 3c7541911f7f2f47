package org.jkvm.migration.stream;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Hand-made records for tests of the loader's checks: any type and any fields (wrong counts, bad lengths, invalid
 * zlib), framed and checksummed exactly as {@link StreamOut} frames its own records. Production code has no such
 * door: every record it writes goes through one of {@link StreamOut}'s typed methods.
 */
public final class RawRecords {
    private RawRecords() {
    }

    /** Starts a record of {@code type} with {@code maxBytes} reserved for its fields. */
    public static ByteBuffer begin(StreamOut out, int type, int maxBytes) throws IOException {
        out.begin(type, maxBytes);
        return out.buffer();
    }

    /** The buffer, for fields within the reservation of the open record. */
    public static ByteBuffer buffer(StreamOut out) {
        return out.buffer();
    }

    /** Appends a {@code u16}-length UTF-8 string to the open record. */
    public static void string(StreamOut out, String s) throws IOException {
        out.string(s);
    }

    /** Appends a {@code u32}-length byte string to the open record. */
    public static void bytes(StreamOut out, byte[] data) throws IOException {
        out.bytes(data);
    }

    /** Ends the open record with its CRC. */
    public static void end(StreamOut out) throws IOException {
        out.end();
    }
}
