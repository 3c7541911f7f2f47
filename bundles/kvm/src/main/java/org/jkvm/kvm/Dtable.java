package org.jkvm.kvm;

import java.nio.ByteBuffer;

/**
 * A descriptor-table register (GDTR or IDTR), {@code struct kvm_dtable} (16 bytes).
 *
 * <pre>
 * offset 0 u64 base   8 u16 limit   10 u16 padding[3]
 * </pre>
 *
 * @param base  linear base address of the table
 * @param limit table size in bytes minus one
 */
public record Dtable(long base, int limit) {
    /** Size of {@code struct kvm_dtable} in bytes. */
    public static final int SIZE = 16;
    /** Size of the compact encoding in bytes. */
    public static final int ENCODED_SIZE = 10;

    /** Reads the kernel layout at {@code offset} of a little-endian buffer. */
    public static Dtable read(ByteBuffer le, int offset) {
        return new Dtable(le.getLong(offset), Short.toUnsignedInt(le.getShort(offset + 8)));
    }

    /** Writes the kernel layout at {@code offset} of a little-endian buffer (padding zeroed). */
    public void write(ByteBuffer le, int offset) {
        le.putLong(offset, base);
        le.putShort(offset + 8, (short) limit);
        le.putShort(offset + 10, (short) 0).putInt(offset + 12, 0);
    }

    /** Compact encoding at the buffer's position in the buffer's byte order. */
    public void encode(ByteBuffer out) {
        out.putLong(base).putShort((short) limit);
    }

    /** Reads what {@link #encode} wrote. */
    public static Dtable decode(ByteBuffer in) {
        return new Dtable(in.getLong(), Short.toUnsignedInt(in.getShort()));
    }
}
