package org.jkvm.loader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The multiboot v1 header (Multiboot Specification 0.6.96 §3.1): 4-byte aligned within the first 8192 bytes of the
 * file, with the a.out kludge's address fields when flags bit 16 is set.
 *
 * <pre>
 * 0  u32 magic 0x1BADB002    4 u32 flags    8 u32 checksum (magic + flags + checksum = 0)
 * 12 u32 header_addr         16 u32 load_addr    20 u32 load_end_addr (0: to the end of the file)
 * 24 u32 bss_end_addr (0: no bss)                28 u32 entry_addr
 * flags: bit 0 page-align modules, bit 1 memory information, bit 2 video mode table, bit 16 the address fields
 * </pre>
 *
 * @param fileOffset  where the header starts in the file
 * @param flags       the flags
 * @param headerAddr  header_addr (kludge)
 * @param loadAddr    load_addr (kludge)
 * @param loadEndAddr load_end_addr (kludge)
 * @param bssEndAddr  bss_end_addr (kludge)
 * @param entryAddr   entry_addr (kludge)
 */
public record MultibootHeader(int fileOffset, int flags, long headerAddr, long loadAddr, long loadEndAddr,
        long bssEndAddr, long entryAddr) {
    /** The header's magic. */
    public static final int MAGIC = 0x1BADB002;
    /** How far into the file the header may start. */
    public static final int SEARCH_BYTES = 8192;
    /** flags bit 16: the address fields are valid (the "a.out kludge"). */
    public static final int AOUT_KLUDGE = 1 << 16;
    /** The required-feature bits this loader honours: 0 (page-aligned modules), 1 (memory), 2 (video, ignored). */
    public static final int KNOWN_REQUIRED = 0x7;

    /**
     * Finds the header, or returns null when the file has none.
     *
     * @param what how messages name the file
     * @throws LoaderException when the header asks for features this loader lacks or its fields are cut off
     */
    public static MultibootHeader find(byte[] image, String what) {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int end = Math.min(image.length, SEARCH_BYTES) - 12;
        for (int off = 0; off <= end; off += 4) {
            if (b.getInt(off) != MAGIC || b.getInt(off) + b.getInt(off + 4) + b.getInt(off + 8) != 0) {
                continue;
            }
            int flags = b.getInt(off + 4);
            if ((flags & 0xffff & ~KNOWN_REQUIRED) != 0) {
                throw new LoaderException(String.format("%s is a multiboot kernel that requires features (flags "
                        + "0x%08x) this loader does not provide; only bits 0-2 of the low 16 are supported", what,
                        flags));
            }
            if ((flags & AOUT_KLUDGE) == 0) {
                return new MultibootHeader(off, flags, 0, 0, 0, 0, 0);
            }
            if (off + 32 > image.length) {
                throw new LoaderException(what + " is a truncated multiboot kernel: its header's address fields run "
                        + "past the end of the file");
            }
            return new MultibootHeader(off, flags, u32(b, off + 12), u32(b, off + 16), u32(b, off + 20),
                    u32(b, off + 24), u32(b, off + 28));
        }
        return null;
    }

    /** Whether the a.out kludge's address fields are to be used. */
    public boolean aoutKludge() {
        return (flags & AOUT_KLUDGE) != 0;
    }

    private static long u32(ByteBuffer b, int offset) {
        return b.getInt(offset) & 0xffffffffL;
    }
}
