package org.jkvm.kvm;

import java.nio.ByteBuffer;

/**
 * A segment register with its hidden descriptor cache, {@code struct kvm_segment} (24 bytes).
 *
 * <pre>
 * offset 0 u64 base   8 u32 limit  12 u16 selector  14 u8 type  15 u8 present
 *       16 u8 dpl    17 u8 db     18 u8 s          19 u8 l     20 u8 g  21 u8 avl  22 u8 unusable  23 u8 pad
 * </pre>
 *
 * @param base     linear base address
 * @param limit    limit in bytes (already scaled by G)
 * @param selector the visible selector
 * @param type     descriptor type nibble (e.g. 11 = execute/read accessed code, 3 = read/write accessed data)
 * @param present  P bit
 * @param dpl      descriptor privilege level
 * @param db       D/B bit (32-bit default size)
 * @param s        S bit (code/data rather than system)
 * @param l        L bit (64-bit code)
 * @param g        G bit (4 KiB granularity)
 * @param avl      AVL bit
 * @param unusable VMX "unusable" flag
 */
public record Segment(long base, int limit, int selector, int type, int present, int dpl, int db, int s, int l,
                      int g, int avl, int unusable) {
    /** Size of {@code struct kvm_segment} in bytes. */
    public static final int SIZE = 24;
    /** Size of the compact encoding in bytes. */
    public static final int ENCODED_SIZE = 8 + 4 + 2 + 9;

    /** Reads the kernel layout at {@code offset} of a little-endian buffer. */
    public static Segment read(ByteBuffer le, int offset) {
        return new Segment(le.getLong(offset), le.getInt(offset + 8), Short.toUnsignedInt(le.getShort(offset + 12)),
                u8(le, offset + 14), u8(le, offset + 15), u8(le, offset + 16), u8(le, offset + 17),
                u8(le, offset + 18), u8(le, offset + 19), u8(le, offset + 20), u8(le, offset + 21),
                u8(le, offset + 22));
    }

    /** Writes the kernel layout at {@code offset} of a little-endian buffer (padding zeroed). */
    public void write(ByteBuffer le, int offset) {
        le.putLong(offset, base);
        le.putInt(offset + 8, limit);
        le.putShort(offset + 12, (short) selector);
        byte[] flags = flags();
        for (int i = 0; i < flags.length; i++) {
            le.put(offset + 14 + i, flags[i]);
        }
        le.put(offset + 23, (byte) 0);
    }

    /** Compact encoding at the buffer's position in the buffer's byte order (23 bytes). */
    public void encode(ByteBuffer out) {
        out.putLong(base).putInt(limit).putShort((short) selector).put(flags());
    }

    /** Reads what {@link #encode} wrote. */
    public static Segment decode(ByteBuffer in) {
        long base = in.getLong();
        int limit = in.getInt();
        int selector = Short.toUnsignedInt(in.getShort());
        byte[] f = new byte[9];
        in.get(f);
        return new Segment(base, limit, selector, f[0] & 0xff, f[1] & 0xff, f[2] & 0xff, f[3] & 0xff, f[4] & 0xff,
                f[5] & 0xff, f[6] & 0xff, f[7] & 0xff, f[8] & 0xff);
    }

    private byte[] flags() {
        return new byte[] {(byte) type, (byte) present, (byte) dpl, (byte) db, (byte) s, (byte) l, (byte) g,
            (byte) avl, (byte) unusable};
    }

    private static int u8(ByteBuffer b, int index) {
        return b.get(index) & 0xff;
    }
}
