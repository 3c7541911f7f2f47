package org.jkvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ElfLoaderTest {
    private final HeapGuestMemory mem = new HeapGuestMemory(0, 4 << 20);

    @Test
    void loadsSegmentZeroesBssAndReturnsBothEntries() {
        byte[] code = {(byte) 0xf4, 0x11, 0x22};
        ByteBuffer dirt = ByteBuffer.allocate(64);
        for (int i = 0; i < 64; i++) {
            dirt.put(i, (byte) 0x77);
        }
        mem.write(TinyElf.LOAD_GPA + BootHeader.SIZE + code.length, dirt);
        LoadedImage img = ElfLoader.load(TinyElf.elf32(code, true, 64), "tiny.elf", mem);
        assertEquals(TinyElf.LOAD_GPA, img.elfEntry());
        assertEquals(TinyElf.LOAD_GPA + BootHeader.SIZE, img.entry64());
        assertEquals(TinyElf.LOAD_GPA, img.firstGpa());
        assertEquals(TinyElf.LOAD_GPA + BootHeader.SIZE + code.length + 64, img.endGpa());
        assertEquals(BootHeader.MAGIC, mem.u64(TinyElf.LOAD_GPA));
        assertEquals(0x2211f4, mem.u32(img.entry64()) & 0xffffff);
        assertEquals(0, mem.u64(img.endGpa() - 8), "bss zeroed");
    }

    @Test
    void refusesNonElfAndCorruptImages() {
        LoaderException e = assertThrows(LoaderException.class,
                () -> ElfLoader.load("hello world, not an ELF at all, padded to 64 bytes........".getBytes(),
                        "fw.bin", mem));
        assertEquals("firmware file fw.bin is not an ELF image", e.getMessage());
        byte[] cut = TinyElf.elf32(new byte[4], true, 0);
        ByteBuffer.wrap(cut).order(java.nio.ByteOrder.LITTLE_ENDIAN).putShort(44, (short) 500);
        e = assertThrows(LoaderException.class, () -> ElfLoader.load(cut, "cut.elf", mem));
        assertTrue(e.getMessage().contains("corrupt ELF image"), e.getMessage());
        byte[] badSeg = TinyElf.elf32(new byte[4], true, 0);
        ByteBuffer.wrap(badSeg).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(68, 1 << 20);
        e = assertThrows(LoaderException.class, () -> ElfLoader.load(badSeg, "seg.elf", mem));
        assertTrue(e.getMessage().contains("segment 0"), e.getMessage());
    }

    @Test
    void refusesImagesWithoutTheJkvmBootHeader() {
        LoaderException e = assertThrows(LoaderException.class,
                () -> ElfLoader.load(TinyElf.elf32(new byte[8], false, 0), "plain.elf", mem));
        assertTrue(e.getMessage().startsWith("firmware file plain.elf is not a jkvm firmware image"),
                e.getMessage());
    }

    @Test
    void refusesImagesThatDoNotFitInRam() {
        HeapGuestMemory small = new HeapGuestMemory(0, 1 << 20);
        LoaderException e = assertThrows(LoaderException.class,
                () -> ElfLoader.load(TinyElf.elf32(new byte[8], true, 0), "big.elf", small));
        assertTrue(e.getMessage().contains("does not fit in guest RAM"), e.getMessage());
    }

    @Test
    void readFileNamesAMissingFile(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("nope.elf");
        LoaderException e = assertThrows(LoaderException.class, () -> ElfLoader.readFile(missing));
        assertEquals("firmware file " + missing + " does not exist; check the -kernel path", e.getMessage());
        Path ok = dir.resolve("ok.elf");
        Files.write(ok, new byte[] {1, 2, 3});
        assertEquals(3, ElfLoader.readFile(ok).length);
    }
}
