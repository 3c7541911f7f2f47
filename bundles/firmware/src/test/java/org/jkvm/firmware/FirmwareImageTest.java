package org.jkvm.firmware;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The image's headers match docs/contracts.md section 1, and the bundle hands it out intact. */
class FirmwareImageTest {
    static final long JKVM_MAGIC = 0x544F4F424D564B4AL;
    static final int MULTIBOOT_MAGIC = 0x1BADB002;
    static final int PT_LOAD = 1;

    @TempDir
    Path dir;

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void isA32BitElfForI386LoadedAtOneMiB() {
        ByteBuffer b = le(Firmware.image());
        assertEquals(0x464C457F, b.getInt(0), "ELF magic");
        assertEquals(1, b.get(4), "ELFCLASS32: QEMU refuses 64-bit multiboot ELF files");
        assertEquals(1, b.get(5), "little-endian");
        assertEquals(2, b.getShort(16), "ET_EXEC");
        assertEquals(3, b.getShort(18), "EM_386");
        long entry = Integer.toUnsignedLong(b.getInt(24));
        assertTrue(loadSegmentHolding(b, entry) >= 0, "e_entry " + Long.toHexString(entry) + " is loaded");
        int firstPhdr = b.getInt(28);
        assertEquals(PT_LOAD, b.getInt(firstPhdr), "first program header is PT_LOAD");
        assertEquals(0x100000, b.getInt(firstPhdr + 12), "first PT_LOAD p_paddr is 1 MiB (contracts §1)");
    }

    @Test
    void multibootHeaderThenJkvmBootHeaderWithEntry64InsideALoadSegment() {
        ByteBuffer b = le(Firmware.image());
        int mb = -1;
        for (int off = 0; off + 12 <= Math.min(8192, b.capacity()); off += 4) {
            if (b.getInt(off) == MULTIBOOT_MAGIC && b.getInt(off) + b.getInt(off + 4) + b.getInt(off + 8) == 0) {
                mb = off;
                break;
            }
        }
        assertTrue(mb >= 0, "multiboot v1 header with a valid checksum in the first 8 KiB");
        assertEquals(0, b.getInt(mb + 4) & 0x10000, "no a.out kludge: QEMU loads the ELF segments");
        int jk = (mb + 12 + 7) & ~7;
        assertEquals(JKVM_MAGIC, b.getLong(jk), "jkvm boot header right after the multiboot header, 8-aligned");
        assertTrue(jk + 24 <= 8192, "jkvm boot header within the first 8 KiB");
        long entry64 = b.getLong(jk + 8);
        assertEquals(1, b.getInt(jk + 16), "boot header version");
        assertEquals(0, b.getInt(jk + 20), "boot header flags");
        int seg = loadSegmentHolding(b, entry64);
        assertTrue(seg >= 0, "entry64 0x" + Long.toHexString(entry64) + " lies inside a PT_LOAD segment's file bytes");
    }

    @Test
    void carriesTheVersionItPrints() {
        String text = new String(Firmware.image(), StandardCharsets.ISO_8859_1);
        assertTrue(text.contains("jkvm-fw " + Firmware.VERSION + " vendor="), "version string in the image");
    }

    @Test
    void imageIsAFreshCopyEachTimeAndExtractWritesTheSameBytes() throws Exception {
        byte[] one = Firmware.image();
        byte[] two = Firmware.image();
        assertNotSame(one, two);
        one[0] = 0;
        assertEquals(0x7F, Firmware.image()[0], "callers cannot change the bundled image");
        Path written = Firmware.extractTo(dir.resolve("a/b"));
        assertEquals(dir.resolve("a/b").resolve(Firmware.FILE_NAME), written);
        assertArrayEquals(two, Files.readAllBytes(written));
        Firmware.extractTo(dir.resolve("a/b"));
        try (var files = Files.list(dir.resolve("a/b"))) {
            assertEquals(1, files.count(), "extracting twice replaces the file and leaves no temporary files");
        }
    }

    @Test
    void extractIntoAFileGivesAClearError() throws Exception {
        Path file = Files.writeString(dir.resolve("plain-file"), "x");
        FirmwareException e = assertThrows(FirmwareException.class, () -> Firmware.extractTo(file));
        assertTrue(e.getMessage().startsWith("cannot write the jkvm firmware to " + file), e.getMessage());
    }

    /** Index of the PT_LOAD whose file bytes hold {@code gpa}, or -1 (ELF32 program headers). */
    static int loadSegmentHolding(ByteBuffer b, long gpa) {
        int phoff = b.getInt(28);
        int phentsize = Short.toUnsignedInt(b.getShort(42));
        int phnum = Short.toUnsignedInt(b.getShort(44));
        for (int i = 0; i < phnum; i++) {
            int ph = phoff + i * phentsize;
            long paddr = Integer.toUnsignedLong(b.getInt(ph + 12));
            long filesz = Integer.toUnsignedLong(b.getInt(ph + 16));
            if (b.getInt(ph) == PT_LOAD && gpa >= paddr && gpa < paddr + filesz) {
                return i;
            }
        }
        return -1;
    }
}
