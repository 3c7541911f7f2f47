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
    /** GDT descriptors: null, 64-bit code (L=1), flat data, 32-bit code (Intel SDM vol. 3 §3.4.5). */
    private static final long[] GDT = {0L, 0x00AF9A000000FFFFL, 0x00CF92000000FFFFL, 0x00CF9A000000FFFFL};
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
        writeGdt(memory);
        writePageTables(memory);
        writeMultibootInfo(memory);
        long cr0 = BootRegisters.CR0_PE | BootRegisters.CR0_ET | BootRegisters.CR0_NE | BootRegisters.CR0_PG;
        return new BootRegisters(image.entry64(), 0, X86Layout.MULTIBOOT_MAGIC, X86Layout.MBI_GPA, 0x2, cr0,
                X86Layout.PML4_GPA, BootRegisters.CR4_PAE, BootRegisters.EFER_LME | BootRegisters.EFER_LMA,
                X86Layout.SEL_CODE64, X86Layout.SEL_DATA, X86Layout.GDT_GPA, X86Layout.GDT_LIMIT);
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

    private static void writeGdt(GuestMemory memory) {
        ByteBuffer b = ByteBuffer.allocate(GDT.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long d : GDT) {
            b.putLong(d);
        }
        memory.write(X86Layout.GDT_GPA, b.flip());
    }

    private static void writePageTables(GuestMemory memory) {
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
