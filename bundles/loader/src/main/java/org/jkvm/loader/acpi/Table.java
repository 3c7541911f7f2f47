package org.jkvm.loader.acpi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A system description table being built: the 36-byte header of ACPI 6.x §5.2.6 followed by the table's fields,
 * little-endian. {@link #finish()} fills in the length and the checksum (all bytes sum to 0 mod 256).
 *
 * <pre>
 * 0  signature[4]   4 length   8 revision   9 checksum   10 OEMID[6]   16 OEM table ID[8]
 * 24 OEM revision   28 creator ID[4]   32 creator revision   36 the table's own fields
 * </pre>
 */
final class Table {
    /** Size of the common header. */
    static final int HEADER = 36;

    private final ByteBuffer b;

    Table(String signature, int revision, int capacity) {
        b = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
        b.put(ascii(signature, 4));
        b.putInt(0);
        b.put((byte) revision);
        b.put((byte) 0);
        b.put(ascii(AcpiTables.OEM_ID, 6));
        b.put(ascii(AcpiTables.OEM_TABLE_ID, 8));
        b.putInt(1);
        b.put(ascii(AcpiTables.CREATOR_ID, 4));
        b.putInt(1);
    }

    /** The buffer, positioned after what was written so far (the header at first). */
    ByteBuffer body() {
        return b;
    }

    /** Sets the length and the checksum; returns the table's bytes. */
    byte[] finish() {
        int length = b.position();
        b.putInt(4, length);
        byte[] out = new byte[length];
        b.get(0, out);
        out[9] = checksum(out, 0, length);
        return out;
    }

    /** The byte that makes {@code bytes[from, from + length)} sum to 0 mod 256 (with that byte counted as 0). */
    static byte checksum(byte[] bytes, int from, int length) {
        int sum = 0;
        for (int i = from; i < from + length; i++) {
            sum += bytes[i];
        }
        return (byte) -sum;
    }

    /** {@code s} as exactly {@code n} ASCII bytes, padded with spaces. */
    static byte[] ascii(String s, int n) {
        byte[] out = new byte[n];
        byte[] in = s.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < n; i++) {
            out[i] = i < in.length ? in[i] : (byte) ' ';
        }
        return out;
    }

    /**
     * Appends a Generic Address Structure (ACPI 6.x §5.2.3.2): address space (1 = system I/O), register bit
     * width, bit offset 0, access size (1 byte .. 4 dword), 64-bit address. A zero {@code address} is "absent".
     */
    static void putGas(ByteBuffer b, int space, int bitWidth, int accessSize, long address) {
        b.put((byte) (address == 0 ? 0 : space));
        b.put((byte) (address == 0 ? 0 : bitWidth));
        b.put((byte) 0);
        b.put((byte) (address == 0 ? 0 : accessSize));
        b.putLong(address);
    }
}
