package org.jkvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class BootSetupTest {
    private final LoadedImage image = new LoadedImage("fw", 0x100000, 0x100040, 0x100000, 0x108000);

    @Test
    void writesGdtPageTablesMbiAndCommandLine() {
        HeapGuestMemory mem = new HeapGuestMemory(0, 64 << 20);
        BootRegisters regs = BootSetup.setUp(mem, image, "workload=idle hb_ms=500");
        assertEquals(0x100040, regs.rip());
        assertEquals(X86Layout.MULTIBOOT_MAGIC, regs.rdi());
        assertEquals(X86Layout.MBI_GPA, regs.rsi());
        assertEquals(0x1000, regs.cr3());
        assertEquals(0x80000031L, regs.cr0());
        assertEquals(0x20, regs.cr4());
        assertEquals(0x500, regs.efer());
        assertEquals(0x00AF9A000000FFFFL, mem.u64(X86Layout.GDT_GPA + 8), "64-bit code descriptor");
        assertEquals(0x2003, mem.u64(X86Layout.PML4_GPA));
        assertEquals(0x3003, mem.u64(X86Layout.PDPT_GPA));
        assertEquals(0x6003, mem.u64(X86Layout.PDPT_GPA + 24), "4 GiB mapped at least");
        assertEquals(0, mem.u64(X86Layout.PDPT_GPA + 32));
        assertEquals(0x83, mem.u64(X86Layout.PD_GPA));
        assertEquals(0x200083, mem.u64(X86Layout.PD_GPA + 8));
        assertEquals(0xC0000083L, mem.u64(X86Layout.PD_GPA + 3 * 4096));
        assertEquals(0x45, mem.u32(X86Layout.MBI_GPA), "flags: mem, cmdline, mmap");
        assertEquals(640, mem.u32(X86Layout.MBI_GPA + 4));
        assertEquals(63 * 1024, mem.u32(X86Layout.MBI_GPA + 8));
        assertEquals(0x9800, mem.u32(X86Layout.MBI_GPA + 16));
        assertEquals(48, mem.u32(X86Layout.MBI_GPA + 44), "two map entries");
        assertEquals(0x100000, mem.u64(X86Layout.MMAP_GPA + 24 + 4));
        ByteBuffer cmd = ByteBuffer.allocate(24);
        mem.read(X86Layout.CMDLINE_GPA, cmd);
        assertEquals("workload=idle hb_ms=500\0", new String(cmd.array(), StandardCharsets.US_ASCII));
    }

    @Test
    void mapsRamAboveTheHoleAndListsIt() {
        HeapGuestMemory mem = new HeapGuestMemory(0, 16 << 20, X86Layout.HIGH_RAM_START, 4 << 20);
        BootSetup.setUp(mem, image, "");
        assertEquals(0x7003, mem.u64(X86Layout.PDPT_GPA + 32), "fifth GiB mapped for RAM at 4 GiB");
        assertEquals(72, mem.u32(X86Layout.MBI_GPA + 44));
        assertEquals(X86Layout.HIGH_RAM_START, mem.u64(X86Layout.MMAP_GPA + 48 + 4));
    }

    @Test
    void refusesATooLongCommandLine() {
        HeapGuestMemory mem = new HeapGuestMemory(0, 16 << 20);
        LoaderException e = assertThrows(LoaderException.class,
                () -> BootSetup.setUp(mem, image, "x".repeat(2048)));
        assertTrue(e.getMessage().contains("at most 2047"), e.getMessage());
    }
}
