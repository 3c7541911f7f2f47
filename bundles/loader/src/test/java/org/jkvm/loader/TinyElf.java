package org.jkvm.loader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Builds minimal x86 ELF32 images with one PT_LOAD segment and an optional jkvm boot header, for tests. Shared with
 * the engine's tests through this module's test jar.
 */
public final class TinyElf {
    /** Where the PT_LOAD segment is loaded. */
    public static final long LOAD_GPA = 0x100000;
    /** File offset of the code payload. */
    public static final int PAYLOAD_OFFSET = 0x80;

    private TinyElf() {
    }

    /**
     * An ELF32 whose single segment holds {@code code} at {@link #LOAD_GPA}, preceded by a boot header whose
     * entry64 is the first byte of {@code code}; {@code bss} zero bytes follow in memory.
     */
    /** An ELF32 image holding {@code code}, with the jkvm boot header when asked, and {@code bss} bytes of BSS. */
    public static byte[] elf32(byte[] code, boolean withHeader, int bss) {
        int segment = BootHeader.SIZE + code.length;
        ByteBuffer b = ByteBuffer.allocate(PAYLOAD_OFFSET + segment).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0x464C457F);
        b.put(4, (byte) 1).put(5, (byte) 1).put(6, (byte) 1);
        b.putShort(16, (short) 2);
        b.putShort(18, (short) 3);
        b.putInt(20, 1);
        b.putInt(24, (int) LOAD_GPA);
        b.putInt(28, 52);
        b.putShort(40, (short) 52);
        b.putShort(42, (short) 32);
        b.putShort(44, (short) 1);
        // program header at 52
        b.putInt(52, 1);
        b.putInt(56, PAYLOAD_OFFSET);
        b.putInt(60, (int) LOAD_GPA);
        b.putInt(64, (int) LOAD_GPA);
        b.putInt(68, segment);
        b.putInt(72, segment + bss);
        b.putInt(76, 5);
        if (withHeader) {
            b.putLong(PAYLOAD_OFFSET, BootHeader.MAGIC);
            b.putLong(PAYLOAD_OFFSET + 8, LOAD_GPA + BootHeader.SIZE);
            b.putInt(PAYLOAD_OFFSET + 16, 1);
        }
        b.position(PAYLOAD_OFFSET + BootHeader.SIZE);
        b.put(code);
        return b.array();
    }
}
