package org.jkvm.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

class PvhBootTest {
    private static final long SI = X86Layout.ZERO_PAGE_GPA;

    private static String string(HeapGuestMemory mem, long gpa) {
        ByteBuffer b = ByteBuffer.allocate(256);
        mem.read(gpa, b);
        String s = new String(b.array(), StandardCharsets.ISO_8859_1);
        return s.substring(0, s.indexOf('\0'));
    }

    @Test
    void writesHvmStartInfoAndEntersAtTheNoteIn32BitMode() {
        HeapGuestMemory mem = new HeapGuestMemory(0, 64 << 20);
        byte[] payload = TestKernels.pattern(8192, 5);
        byte[] image = TestKernels.pvhElf(0x1000000, payload, 0x3000, 0x1000040);
        byte[] m0 = TestKernels.pattern(5000, 1);
        byte[] m1 = TestKernels.pattern(10, 2);
        LoadedKernel k = KernelLoader.load(mem, new BootRequest(image, "vmlinux",
                List.of(new Module("initrd.img", m0), new Module("second arg=1", m1)), "console=hvc0", 1));
        assertEquals(LoadedKernel.Format.PVH_ELF, k.format());
        BootRegisters r = k.registers();
        assertEquals(BootRegisters.Mode.PROTECTED_32, r.mode());
        assertEquals(0x1000040, r.rip(), "XEN_ELFNOTE_PHYS32_ENTRY");
        assertEquals(SI, r.gprs().rbx(), "EBX = hvm_start_info");
        assertEquals(0x11, r.cr0(), "PE | ET, paging off");
        assertEquals(0, r.cr4());
        assertArrayEquals(payload, readBytes(mem, 0x1000000, payload.length), "loaded at p_paddr");
        assertEquals(0, mem.u64(0x1000000 + payload.length + 0x3000 - 8), "bss zeroed");
        assertEquals(0x336ec578, mem.u32(SI));
        assertEquals(1, mem.u32(SI + 4), "version");
        assertEquals(0, mem.u32(SI + 8), "flags");
        assertEquals(2, mem.u32(SI + 12), "nr_modules");
        assertEquals(PvhBoot.MODLIST_GPA, mem.u64(SI + 16));
        assertEquals(X86Layout.KERNEL_CMDLINE_GPA, mem.u64(SI + 24));
        assertEquals("console=hvc0", string(mem, X86Layout.KERNEL_CMDLINE_GPA));
        assertEquals(0xE0000, mem.u64(SI + 32), "rsdp_paddr");
        assertEquals(PvhBoot.MEMMAP_GPA, mem.u64(SI + 40));
        assertEquals(5, mem.u32(SI + 48), "memmap_entries");
        long ram = PvhBoot.MEMMAP_GPA + 3 * 24;
        assertEquals(0x100000, mem.u64(ram));
        assertEquals((64 << 20) - 0x100000, mem.u64(ram + 8));
        assertEquals(1, mem.u32(ram + 16));
        long mod0 = mem.u64(PvhBoot.MODLIST_GPA);
        assertEquals(0x1000000 + 0x5000, mod0, "after the kernel and its bss, page aligned");
        assertEquals(5000, mem.u64(PvhBoot.MODLIST_GPA + 8));
        assertEquals("initrd.img", string(mem, mem.u64(PvhBoot.MODLIST_GPA + 16)));
        assertArrayEquals(m0, readBytes(mem, mod0, m0.length));
        assertEquals(mod0 + 0x2000, mem.u64(PvhBoot.MODLIST_GPA + 32));
        assertEquals("second arg=1", string(mem, mem.u64(PvhBoot.MODLIST_GPA + 48)));
    }

    @Test
    void aKernelBeyondRamIsRefused() {
        HeapGuestMemory mem = new HeapGuestMemory(0, 16 << 20);
        byte[] image = TestKernels.pvhElf(0x1000000, new byte[64], 4 << 20, 0x1000000);
        LoaderException e = assertThrows(LoaderException.class,
                () -> KernelLoader.load(mem, new BootRequest(image, "vmlinux", List.of(), "", 1)));
        assertEquals("kernel file vmlinux needs 21 MiB of RAM (it loads up to 0x1400040) but the guest has 16 MiB "
                + "below the MMIO hole; give it more with -m", e.getMessage());
    }

    private static byte[] readBytes(HeapGuestMemory mem, long gpa, int n) {
        ByteBuffer b = ByteBuffer.allocate(n);
        mem.read(gpa, b);
        return b.array();
    }
}
