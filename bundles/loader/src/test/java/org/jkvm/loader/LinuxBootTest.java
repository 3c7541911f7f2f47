package org.jkvm.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;

import org.junit.jupiter.api.Test;

class LinuxBootTest {
    private static final long ZP = X86Layout.ZERO_PAGE_GPA;

    private static LoadedKernel boot(HeapGuestMemory mem, byte[] image, List<Module> initrd, String cmdline) {
        return KernelLoader.load(mem, new BootRequest(image, "bzImage", initrd, cmdline, 1));
    }

    private static byte[] read(HeapGuestMemory mem, long gpa, int n) {
        ByteBuffer b = ByteBuffer.allocate(n);
        mem.read(gpa, b);
        return b.array();
    }

    @Test
    void writesBootParamsAndEntersStartup64() {
        HeapGuestMemory mem = new HeapGuestMemory(0, 64 << 20);
        byte[] payload = TestKernels.pattern(5000, 7);
        byte[] image = TestKernels.bzImage64(payload);
        byte[] initrd = TestKernels.pattern(10_001, 3);
        LoadedKernel k = boot(mem, image, List.of(new Module("initrd.img", initrd)), "console=ttyS0 quiet");
        assertEquals(LoadedKernel.Format.LINUX_BZIMAGE, k.format());
        assertEquals("Linux bzImage, boot protocol 2.15, 64-bit entry", k.description());
        BootRegisters r = k.registers();
        assertEquals(BootRegisters.Mode.LONG_64, r.mode());
        assertEquals(0x100200, r.rip(), "startup_64 = protected-mode kernel + 0x200");
        assertEquals(ZP, r.rsi(), "RSI = boot_params");
        assertEquals(0x10, r.codeSel(), "__BOOT_CS");
        assertEquals(0x18, r.dataSel(), "__BOOT_DS");
        assertEquals(BootSetup.DESC_CODE64, mem.u64(X86Layout.GDT_GPA + 0x10));
        assertEquals(BootSetup.DESC_DATA, mem.u64(X86Layout.GDT_GPA + 0x18));
        assertEquals(31, r.gdtLimit());
        assertEquals(X86Layout.PML4_GPA, r.cr3());
        assertEquals(0x83, mem.u64(X86Layout.PD_GPA), "identity map from 0");
        assertArrayEquals(payload, read(mem, 0x100000, payload.length), "protected-mode kernel at 1 MiB");
        // the setup header is copied, then the loader's fields
        assertArrayEquals(java.util.Arrays.copyOfRange(image, 0x1f1, 0x210), read(mem, ZP + 0x1f1, 0x210 - 0x1f1));
        assertEquals((byte) 0xFF, mem.readByte(ZP + 0x210), "type_of_loader");
        assertEquals(X86Layout.KERNEL_CMDLINE_GPA, mem.u32(ZP + 0x228), "cmd_line_ptr");
        assertEquals("console=ttyS0 quiet\0", new String(read(mem, X86Layout.KERNEL_CMDLINE_GPA, 20)));
        assertEquals(0xE0000, mem.u64(ZP + 0x070), "acpi_rsdp_addr");
        long ramdisk = mem.u32(ZP + 0x218) & 0xffffffffL;
        assertEquals(10_004, mem.u32(ZP + 0x21c), "ramdisk_size, padded to 4");
        assertEquals(0, ramdisk & 0xfff, "page aligned");
        assertEquals((64L << 20) - 0x3000, ramdisk, "as high as RAM allows");
        assertArrayEquals(initrd, read(mem, ramdisk, initrd.length));
        // the e820 map
        assertEquals(5, mem.readByte(ZP + 0x1e8));
        long[][] want = {{0, 0x9fc00, 1}, {0x9fc00, 0x400, 2}, {0xe0000, 0x20000, 2}, {0x100000, (64 << 20) - 0x100000,
            1}, {0xFEC00000L, 0x01400000L, 2}};
        for (int i = 0; i < want.length; i++) {
            long e = ZP + 0x2d0 + i * 20L;
            assertEquals(want[i][0], mem.u64(e), "entry " + i);
            assertEquals(want[i][1], mem.u64(e + 8), "entry " + i);
            assertEquals(want[i][2], mem.u32(e + 16), "entry " + i);
        }
    }

    @Test
    void aKernelWithoutThe64BitEntryStartsAtCode32StartInProtectedMode() {
        HeapGuestMemory mem = new HeapGuestMemory(0, 64 << 20);
        byte[] image = TestKernels.bzImage(0x020a, 0, 4 << 20, 0x100000, TestKernels.pattern(600, 1));
        LoadedKernel k = boot(mem, image, List.of(), "");
        BootRegisters r = k.registers();
        assertEquals(BootRegisters.Mode.PROTECTED_32, r.mode());
        assertEquals("Linux bzImage, boot protocol 2.10, 32-bit entry", k.description());
        assertEquals(0x100000, r.rip());
        assertEquals(ZP, r.rsi(), "ESI = boot_params");
        assertEquals(0, r.gprs().rbx());
        assertEquals(0, r.cr0() & BootRegisters.CR0_PG, "paging off");
        assertEquals(BootSetup.DESC_CODE32, mem.u64(X86Layout.GDT_GPA + 0x10));
        assertEquals(0, mem.u64(ZP + 0x070), "no acpi_rsdp_addr before protocol 2.14");
        assertEquals(0, mem.u32(ZP + 0x218), "no initrd");
    }

    @Test
    void theInitrdStaysBelowInitrdAddrMax() {
        HeapGuestMemory mem = new HeapGuestMemory(0, 128 << 20);
        byte[] image = TestKernels.bzImage64(TestKernels.pattern(100, 1));
        ByteBuffer.wrap(image).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0x22c, (64 << 20) - 1);
        boot(mem, image, List.of(new Module("a", new byte[4096]), new Module("b", new byte[5])), "");
        long ramdisk = mem.u32(ZP + 0x218) & 0xffffffffL;
        assertEquals(4096 + 8, mem.u32(ZP + 0x21c), "two files concatenated, each padded to 4 bytes");
        assertEquals((64L << 20) - 0x2000, ramdisk);
    }

    @Test
    void refusesOldProtocolsTooLittleRamAndInitrdsThatDoNotFit() {
        HeapGuestMemory mem = new HeapGuestMemory(0, 32 << 20);
        LoaderException e = assertThrows(LoaderException.class,
                () -> boot(mem, TestKernels.bzImage(0x0205, 0, 0, 0, new byte[16]), List.of(), ""));
        assertEquals("kernel file bzImage uses Linux boot protocol 2.05, older than the 2.06 this loader needs; boot "
                + "a kernel from 2009 or later", e.getMessage());
        byte[] big = TestKernels.bzImage(0x020f, 1, 40 << 20, 0x1000000, new byte[16]);
        e = assertThrows(LoaderException.class, () -> boot(mem, big, List.of(), ""));
        assertEquals("kernel file bzImage needs 56 MiB of RAM (it runs at 0x1000000 and needs 40 MiB from there, "
                + "init_size) but the guest has 32 MiB; with 16 MiB more for its first allocations, give it at least "
                + "72 MiB with -m", e.getMessage());
        byte[] ok = TestKernels.bzImage64(new byte[16]);
        e = assertThrows(LoaderException.class,
                () -> boot(mem, ok, List.of(new Module("initrd.img", new byte[9 << 20])), ""));
        assertEquals("the initrd (initrd.img, 9437184 bytes) does not fit in RAM: the kernel ends at 0x1800000 and "
                + "the initrd must end below 0x2000000; give the guest more memory with -m", e.getMessage());
        e = assertThrows(LoaderException.class, () -> boot(mem, ok, List.of(), "x".repeat(2048)));
        assertEquals("the kernel command line (-append) is 2048 bytes but kernel file bzImage accepts at most 2047; "
                + "shorten it", e.getMessage());
    }

    @Test
    void theRamNeedFollowsAlignmentAndPrefAddress() {
        SetupHeader h = SetupHeader.parse(TestKernels.bzImage64(new byte[16]), "k");
        assertEquals(0x1000000 + (8 << 20), LinuxBoot.kernelEnd(h, 16));
        assertEquals(0x1000000 + (8 << 20), LinuxBoot.kernelEnd(h, 100 << 10));
        SetupHeader low = SetupHeader.parse(TestKernels.bzImage(0x020f, 1, 1 << 20, 0x100000, new byte[16]), "k");
        assertEquals(0x200000 + (1 << 20), LinuxBoot.kernelEnd(low, 16), "1 MiB aligned up to kernel_alignment");
        assertTrue(LinuxBoot.kernelEnd(low, 4 << 20) == 0x100000 + (4 << 20), "the file itself when larger");
    }
}
