package org.jkvm.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The information structure at the addresses QEMU 7.2 uses, for a kernel laid out like the probe kernel of
 * MultibootVsQemuTest (0x200000-0x202b40 with its bss): QEMU gave mods_addr 0x203000, module strings from
 * 0x203020, the command line at 0x203036, the loader name at 0x20304d, modules at 0x204000 and 0x206000.
 */
class MultibootBootTest {
    private static final long MBI = X86Layout.MB_INFO_GPA;

    static String string(HeapGuestMemory mem, long gpa) {
        ByteBuffer b = ByteBuffer.allocate(256);
        mem.read(gpa, b);
        String s = new String(b.array(), StandardCharsets.ISO_8859_1);
        return s.substring(0, s.indexOf('\0'));
    }

    private static byte[] probeLikeElf() {
        byte[] body = TestKernels.pattern(0xac8, 9);
        System.arraycopy(TestKernels.multibootHeader(3), 0, body, 0, 12);
        return TestKernels.elf(false, 0x200000, 0x200000, body, 0x2b40 - 0xac8, 0x200020, 0, null);
    }

    @Test
    void elfKernelGetsQemusLayoutRegistersAndModules() {
        HeapGuestMemory mem = new HeapGuestMemory(0, 64 << 20);
        byte[] a = TestKernels.pattern(5000, 1);
        byte[] b = "hello module b\n".getBytes(StandardCharsets.US_ASCII);
        LoadedKernel k = KernelLoader.load(mem, new BootRequest(probeLikeElf(), "mbprobe.elf",
                List.of(new Module("modA argA1 argA2", a), new Module("modB", b)), "a=1 bb=two", 1));
        assertEquals(LoadedKernel.Format.MULTIBOOT, k.format());
        BootRegisters r = k.registers();
        assertEquals(BootRegisters.Mode.PROTECTED_32, r.mode());
        assertEquals(0x200020, r.rip());
        assertEquals(0x2BADB002L, r.gprs().rax());
        assertEquals(0x9500, r.gprs().rbx());
        assertEquals(0x200020, r.gprs().rcx());
        assertEquals(0x08, r.codeSel());
        assertEquals(0x10, r.dataSel());
        assertEquals(0x11, r.cr0());
        assertEquals(0x27, r.gdtLimit());
        assertEquals(0x3ff, r.idtLimit());
        assertEquals(0x24f, mem.u32(MBI));
        assertEquals(639, mem.u32(MBI + 4), "mem_lower");
        assertEquals(((64 << 20) - 0x100000) >> 10, mem.u32(MBI + 8), "mem_upper");
        assertEquals(0x8000ffff, mem.u32(MBI + 12), "boot_device");
        assertEquals(0x203036, mem.u32(MBI + 16), "cmdline");
        assertEquals("mbprobe.elf a=1 bb=two", string(mem, 0x203036));
        assertEquals(2, mem.u32(MBI + 20));
        assertEquals(0x203000, mem.u32(MBI + 24), "mods_addr");
        assertEquals(5 * 24, mem.u32(MBI + 44), "mmap_length");
        assertEquals(0x9000, mem.u32(MBI + 48));
        assertEquals(0x20304d, mem.u32(MBI + 64), "boot_loader_name");
        assertEquals("jkvm", string(mem, 0x20304d));
        assertEquals(0x204000, mem.u32(0x203000));
        assertEquals(0x204000 + 5000, mem.u32(0x203004));
        assertEquals(0x203020, mem.u32(0x203008));
        assertEquals("modA argA1 argA2", string(mem, 0x203020));
        assertEquals(0x206000, mem.u32(0x203010));
        assertEquals(0x206000 + b.length, mem.u32(0x203014));
        assertEquals("modB", string(mem, 0x203031));
        ByteBuffer got = ByteBuffer.allocate(a.length);
        mem.read(0x204000, got);
        assertArrayEquals(a, got.array());
        assertEquals(20, mem.u32(0x9000), "mmap entry size");
        assertEquals(0x9fc00, mem.u64(0x9000 + 12), "first entry: conventional memory");
    }

    @Test
    void aoutKludgeLoadsTheFileAtItsAddressesAndAnEmptyAppendLeavesATrailingSpace() {
        HeapGuestMemory mem = new HeapGuestMemory(0, 32 << 20);
        byte[] body = TestKernels.pattern(0x1000 - 32, 4);
        byte[] image = TestKernels.aout(0x300000, body, 0x1800, 0x40);
        LoadedKernel k = KernelLoader.load(mem, new BootRequest(image, "k.bin", List.of(), "", 1));
        assertEquals(0x300040, k.registers().rip());
        assertTrue(k.description().startsWith("multiboot kernel (a.out kludge)"), k.description());
        assertEquals(0x1BADB002, mem.u32(0x300000), "the header is loaded too");
        assertEquals(body[0], mem.readByte(0x300020));
        assertEquals(0, mem.u64(0x301000 + 0x1800 - 8), "bss zeroed");
        assertEquals(0x303000, mem.u32(MBI + 24), "kernel + bss = 0x2800 bytes, page aligned");
        assertEquals(0, mem.u32(MBI + 20));
        assertEquals("k.bin ", string(mem, mem.u32(MBI + 16)));
    }

    @Test
    void badHeadersAndKernelsOutsideRamAreRefused() {
        HeapGuestMemory mem = new HeapGuestMemory(0, 16 << 20);
        byte[] unknown = TestKernels.pattern(64, 1);
        System.arraycopy(TestKernels.multibootHeader(0x8), 0, unknown, 0, 12);
        LoaderException e = assertThrows(LoaderException.class,
                () -> KernelLoader.load(mem, new BootRequest(unknown, "m", List.of(), "", 1)));
        assertEquals("kernel file m is a multiboot kernel that requires features (flags 0x00000008) this loader does "
                + "not provide; only bits 0-2 of the low 16 are supported", e.getMessage());
        byte[] flat = TestKernels.pattern(64, 1);
        System.arraycopy(TestKernels.multibootHeader(3), 0, flat, 8, 12);
        e = assertThrows(LoaderException.class,
                () -> KernelLoader.load(mem, new BootRequest(flat, "m", List.of(), "", 1)));
        assertTrue(e.getMessage().startsWith("kernel file m has a multiboot header without the a.out kludge"),
                e.getMessage());
        byte[] high = TestKernels.aout(0x0f00000, new byte[32], 2 << 20, 0);
        e = assertThrows(LoaderException.class,
                () -> KernelLoader.load(mem, new BootRequest(high, "m", List.of(), "", 1)));
        assertEquals("kernel file m needs 18 MiB of RAM (it loads up to 0x1100040) but the guest has 16 MiB below "
                + "the MMIO hole; give it more with -m", e.getMessage());
        byte[] ok = TestKernels.aout(0x200000, new byte[32], 0, 0);
        e = assertThrows(LoaderException.class, () -> KernelLoader.load(mem,
                new BootRequest(ok, "m", List.of(new Module("big.img", new byte[15 << 20])), "", 1)));
        assertEquals("the initrd big.img (15728640 bytes) does not fit in RAM: as module 0 it would end at "
                + "0x1102000, past the end of RAM at 0x1000000; give the guest more memory with -m", e.getMessage());
    }
}
