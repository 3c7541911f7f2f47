package org.jkvm.loader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import org.jkvm.memory.GuestMemory;
import org.jkvm.memory.MemoryRegion;

/**
 * Writes the boot structures of {@link X86Layout} into guest memory and computes the entry registers: the GDT,
 * identity-mapping page tables with 2 MiB pages (PML4 → PDPT → one page directory per GiB), the multiboot (v1)
 * information with a memory map, and the NUL-terminated command line. Stateless and thread-safe.
 */
public final class BootSetup {
    /** Flat 64-bit code descriptor: base 0, limit 4 GiB, present, DPL 0, execute/read, L=1 (SDM vol. 3 §3.4.5). */
    static final long DESC_CODE64 = 0x00AF9A000000FFFFL;
    /** Flat 32-bit code descriptor: base 0, limit 4 GiB (G=1), present, DPL 0, execute/read, D=1. */
    static final long DESC_CODE32 = 0x00CF9A000000FFFFL;
    /** Flat data descriptor: base 0, limit 4 GiB (G=1), present, DPL 0, read/write, B=1. */
    static final long DESC_DATA = 0x00CF92000000FFFFL;
    /** 16-bit conforming code, base 0, limit 64 KiB (what QEMU's multiboot GDT has at 0x18). */
    static final long DESC_CODE16 = 0x00009E000000FFFFL;
    /** 16-bit data, base 0, limit 64 KiB (QEMU's multiboot GDT at 0x20). */
    static final long DESC_DATA16 = 0x000092000000FFFFL;
    /** The firmware's GDT: null, 64-bit code 0x08, flat data 0x10, 32-bit code 0x18. */
    private static final long[] GDT = {0L, DESC_CODE64, DESC_DATA, DESC_CODE32};
    private static final long PTE_PRESENT_RW = 0x3;
    private static final long PDE_2MB = 0x83;
    private static final int MBI_FLAG_MEM = 1;
    private static final int MBI_FLAG_CMDLINE = 1 << 2;
    private static final int MBI_FLAG_MMAP = 1 << 6;
    private static final int MMAP_AVAILABLE = 1;

    private BootSetup() {
    }

    /**
     * Writes the boot structures for {@code image} and returns the registers to start it with.
     *
     * @param memory  guest RAM (one region at gpa 0, optionally one at {@link X86Layout#HIGH_RAM_START})
     * @param image   the loaded firmware
     * @param cmdline the firmware command line (ASCII, at most {@link X86Layout#CMDLINE_MAX} bytes)
     * @throws LoaderException when the command line is too long or RAM cannot be mapped
     */
    public static BootRegisters setUp(GuestMemory memory, LoadedImage image, String cmdline) {
        writeCommandLine(memory, cmdline);
        writeGdt(memory, GDT);
        writePageTables(memory);
        writeMultibootInfo(memory);
        return longMode(image.entry64(), new BootRegisters.Gprs(0, 0, 0, X86Layout.MBI_GPA,
                X86Layout.MULTIBOOT_MAGIC), X86Layout.SEL_CODE64, X86Layout.SEL_DATA, X86Layout.GDT_LIMIT);
    }

    /**
     * The registers of a long-mode entry through the identity map {@link #writePageTables} wrote, with the GDT at
     * {@link X86Layout#GDT_GPA}.
     */
    static BootRegisters longMode(long rip, BootRegisters.Gprs gprs, int codeSel, int dataSel, int gdtLimit) {
        long cr0 = BootRegisters.CR0_PE | BootRegisters.CR0_ET | BootRegisters.CR0_NE | BootRegisters.CR0_PG;
        return new BootRegisters(BootRegisters.Mode.LONG_64, rip, 0, gprs, cr0, X86Layout.PML4_GPA,
                BootRegisters.CR4_PAE, BootRegisters.EFER_LME | BootRegisters.EFER_LMA, codeSel, dataSel,
                X86Layout.GDT_GPA, gdtLimit, 0, 0);
    }

    /**
     * The registers of a 32-bit protected-mode entry with paging off: flat segments {@code codeSel} and
     * {@code dataSel} of the GDT at {@link X86Layout#GDT_GPA}, CR0 = PE | ET, CR4 = 0, IDTR at 0 with
     * {@code idtLimit}.
     */
    static BootRegisters protected32(long rip, long rsp, BootRegisters.Gprs gprs, int codeSel, int dataSel,
            int gdtLimit, int idtLimit) {
        return new BootRegisters(BootRegisters.Mode.PROTECTED_32, rip, rsp, gprs,
                BootRegisters.CR0_PE | BootRegisters.CR0_ET, 0, 0, 0, codeSel, dataSel, X86Layout.GDT_GPA, gdtLimit,
                0, idtLimit);
    }

    /** Writes {@code descriptors} as the GDT at {@link X86Layout#GDT_GPA}; returns the GDTR limit. */
    static int writeGdt(GuestMemory memory, long... descriptors) {
        ByteBuffer b = ByteBuffer.allocate(descriptors.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long d : descriptors) {
            b.putLong(d);
        }
        memory.write(X86Layout.GDT_GPA, b.flip());
        return descriptors.length * 8 - 1;
    }

    /** One past the highest RAM address. */
    static long topOfRam(GuestMemory memory) {
        long top = 0;
        for (MemoryRegion r : memory.regions()) {
            top = Math.max(top, r.gpa() + r.sizeBytes());
        }
        return top;
    }

    private static void writeCommandLine(GuestMemory memory, String cmdline) {
        byte[] bytes = cmdline.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length > X86Layout.CMDLINE_MAX) {
            throw new LoaderException("the firmware command line (-append) is " + bytes.length
                    + " bytes; shorten it to at most " + X86Layout.CMDLINE_MAX);
        }
        ByteBuffer b = ByteBuffer.allocate(bytes.length + 1);
        b.put(bytes).put((byte) 0).flip();
        memory.write(X86Layout.CMDLINE_GPA, b);
    }

    /** Identity-maps RAM (at least {@link X86Layout#MIN_MAPPED_GIB} GiB) with 2 MiB pages from the PML4 at CR3. */
    static void writePageTables(GuestMemory memory) {
        long top = topOfRam(memory);
        int gib = (int) Math.max(X86Layout.MIN_MAPPED_GIB, (top + (1L << 30) - 1) >>> 30);
        if (gib > X86Layout.MAX_MAPPED_GIB) {
            throw new LoaderException("guest RAM ends at 0x" + Long.toHexString(top) + ", beyond the "
                    + X86Layout.MAX_MAPPED_GIB + " GiB the boot page tables map; give the guest at most "
                    + (X86Layout.MAX_RAM_BYTES >> 20) + " MiB");
        }
        ByteBuffer page = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        page.putLong(0, X86Layout.PDPT_GPA | PTE_PRESENT_RW);
        memory.write(X86Layout.PML4_GPA, page.duplicate());
        page.clear();
        page.putLong(0, 0);
        for (int g = 0; g < gib; g++) {
            page.putLong(g * 8, (X86Layout.PD_GPA + g * 4096L) | PTE_PRESENT_RW);
        }
        memory.write(X86Layout.PDPT_GPA, page.duplicate());
        for (int g = 0; g < gib; g++) {
            ByteBuffer pd = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < 512; i++) {
                long gpa = ((long) g << 30) + ((long) i << 21);
                pd.putLong(gpa | PDE_2MB);
            }
            memory.write(X86Layout.PD_GPA + g * 4096L, pd.flip());
        }
    }

    private static void writeMultibootInfo(GuestMemory memory) {
        long low = 0;
        long high = 0;
        for (MemoryRegion r : memory.regions()) {
            if (r.gpa() == 0) {
                low = r.sizeBytes();
            } else if (r.gpa() == X86Layout.HIGH_RAM_START) {
                high = r.sizeBytes();
            }
        }
        // Memory map entries (multiboot v1 §3.3): u32 size (20, not counting itself), u64 base, u64 length,
        // u32 type. Conventional memory, RAM from 1 MiB to the hole, and RAM above 4 GiB.
        ByteBuffer map = ByteBuffer.allocate(3 * 24).order(ByteOrder.LITTLE_ENDIAN);
        putMapEntry(map, 0, X86Layout.LOW_MEMORY_END);
        putMapEntry(map, X86Layout.IMAGE_GPA, low - X86Layout.IMAGE_GPA);
        if (high > 0) {
            putMapEntry(map, X86Layout.HIGH_RAM_START, high);
        }
        int mapLength = map.position();
        memory.write(X86Layout.MMAP_GPA, map.flip());
        ByteBuffer mbi = ByteBuffer.allocate(120).order(ByteOrder.LITTLE_ENDIAN);
        mbi.putInt(0, MBI_FLAG_MEM | MBI_FLAG_CMDLINE | MBI_FLAG_MMAP);
        mbi.putInt(4, (int) (X86Layout.LOW_MEMORY_END >> 10));
        mbi.putInt(8, (int) ((low - X86Layout.IMAGE_GPA) >> 10));
        mbi.putInt(16, (int) X86Layout.CMDLINE_GPA);
        mbi.putInt(44, mapLength);
        mbi.putInt(48, (int) X86Layout.MMAP_GPA);
        memory.write(X86Layout.MBI_GPA, mbi);
    }

    private static void putMapEntry(ByteBuffer map, long base, long length) {
        map.putInt(20).putLong(base).putLong(length).putInt(MMAP_AVAILABLE);
    }
}
