package org.jkvm.loader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The jkvm boot header (contracts §1): 8-byte aligned, within the first 8 KiB of the image file.
 *
 * <pre>
 * offset 0  u64 magic   = 0x544F4F424D564B4A ("JKVMBOOT" little-endian)
 * offset 8  u64 entry64 = gpa of the 64-bit entry point
 * offset 16 u32 version = 1
 * offset 20 u32 flags   = 0
 * </pre>
 *
 * @param fileOffset where the header was found in the file
 * @param entry64    guest-physical address of the 64-bit entry point
 * @param version    header version
 * @param flags      header flags
 */
public record BootHeader(int fileOffset, long entry64, int version, int flags) {
    /** "JKVMBOOT" read as a little-endian u64. */
    public static final long MAGIC = 0x544F4F424D564B4AL;
    /** The header version this loader understands. */
    public static final int VERSION = 1;
    /** How far into the file the header may start. */
    public static final int SEARCH_BYTES = 8192;
    /** Size of the header in bytes. */
    public static final int SIZE = 24;

    /** Whether {@code image} has the header's magic in its first {@link #SEARCH_BYTES} bytes. */
    public static boolean present(byte[] image) {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int end = Math.min(image.length, SEARCH_BYTES) - SIZE;
        for (int off = 0; off <= end; off += 8) {
            if (b.getLong(off) == MAGIC) {
                return true;
            }
        }
        return false;
    }

    /**
     * Finds the header in {@code image}.
     *
     * @param name the file name, for the message
     * @throws LoaderException when there is none, or its version is not {@link #VERSION}
     */
    public static BootHeader find(byte[] image, String name) {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int end = Math.min(image.length, SEARCH_BYTES) - SIZE;
        for (int off = 0; off <= end; off += 8) {
            if (b.getLong(off) == MAGIC) {
                int version = b.getInt(off + 16);
                if (version != VERSION) {
                    throw new LoaderException("firmware file " + name + " has jkvm boot header version " + version
                            + " but this engine reads version " + VERSION + "; rebuild the firmware");
                }
                return new BootHeader(off, b.getLong(off + 8), version, b.getInt(off + 20));
            }
        }
        throw new LoaderException("firmware file " + name + " is not a jkvm firmware image (no JKVMBOOT header"
                + " in its first " + SEARCH_BYTES + " bytes)");
    }
}
