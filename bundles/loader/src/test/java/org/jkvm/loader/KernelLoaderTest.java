package org.jkvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The format decision and the sentences for input that is no kernel. */
class KernelLoaderTest {
    private final HeapGuestMemory mem = new HeapGuestMemory(0, 32 << 20);

    private LoaderException refused(byte[] image, List<Module> modules) {
        return assertThrows(LoaderException.class,
                () -> KernelLoader.load(mem, new BootRequest(image, "k.img", modules, "", 1)));
    }

    @Test
    void aFileThatIsNoKernelGetsOneSentence() {
        assertEquals("kernel file k.img is neither a Linux bzImage, an ELF kernel nor a multiboot kernel; pass one "
                + "of those with -kernel", refused("#!/bin/sh\necho not a kernel\n".getBytes(), List.of())
                .getMessage());
        assertEquals("kernel file k.img is an ELF image with neither a PVH note (XEN_ELFNOTE_PHYS32_ENTRY) nor a "
                + "multiboot header, so there is no way to enter it; build the kernel with PVH support or pass its "
                + "bzImage", refused(TinyElf.elf32(new byte[16], false, 0), List.of()).getMessage());
    }

    @Test
    void theJkvmHeaderWinsOverMultibootAndTakesNoInitrd() {
        byte[] code = new byte[64];
        System.arraycopy(TestKernels.multibootHeader(3), 0, code, 0, 12);
        byte[] fw = TinyElf.elf32(code, true, 0);
        LoadedKernel k = KernelLoader.load(mem, new BootRequest(fw, "fw.elf", List.of(), "workload=idle", 1));
        assertEquals(LoadedKernel.Format.JKVM_FIRMWARE, k.format());
        assertEquals(BootRegisters.Mode.LONG_64, k.registers().mode());
        assertEquals(TinyElf.LOAD_GPA + BootHeader.SIZE, k.registers().rip());
        assertEquals("fw.elf is the jkvm firmware, which takes no -initrd; drop -initrd or boot a Linux, PVH or "
                + "multiboot kernel", assertThrows(LoaderException.class, () -> KernelLoader.load(mem,
                        new BootRequest(fw, "fw.elf", List.of(new Module("x", new byte[1])), "", 1))).getMessage());
    }

    @Test
    void everyPathWritesTheAcpiTables() {
        KernelLoader.load(mem, new BootRequest(TestKernels.aout(0x200000, new byte[32], 0, 0), "m", List.of(), "", 1));
        assertEquals(0x20525450, mem.u32(0xE0004), "'PTR ' of the RSDP signature");
    }

    @Test
    void initrdSpecificationsAreReadWithTheirArguments(@TempDir Path dir) throws Exception {
        LoaderException e = assertThrows(LoaderException.class,
                () -> Module.readAll("a,,,", List.of("a,", "")));
        assertEquals("-initrd a,,, has an empty file name; separate files with single commas, as in -initrd "
                + "a.img,b.img", e.getMessage());
        Path f = dir.resolve("m.bin");
        Files.write(f, new byte[] {1, 2, 3});
        List<Module> mods = Module.readAll(f + " some args", List.of(f + " some args"));
        assertEquals(f.toString(), mods.get(0).path());
        assertEquals(f + " some args", mods.get(0).spec());
        assertEquals(3, mods.get(0).data().length);
        e = assertThrows(LoaderException.class, () -> Module.readAll("none.img",
                List.of(dir.resolve("none.img").toString())));
        assertEquals("initrd file " + dir.resolve("none.img") + " does not exist; check the -initrd path",
                e.getMessage());
    }
}
