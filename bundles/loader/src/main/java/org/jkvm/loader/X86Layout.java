package org.jkvm.loader;

/**
 * Every guest-physical constant of the jkvm x86 machine (docs/contracts.md §1), in one place.
 *
 * <pre>
 * 0x0000_0500  GDT (jkvm firmware: null, code64 0x08, data 0x10, code32 0x18; other kernels: see their loaders)
 * 0x0000_1000  PML4 (identity map, 2 MiB pages)
 * 0x0000_2000  PDPT
 * 0x0000_3000  page directories, one 4 KiB page per GiB mapped (up to 0x9000: 6 GiB)
 * 0x0000_7000  multiboot kernels: initial ESP (the stack grows down into the unused page-table pages)
 * 0x0000_9000  jkvm firmware: multiboot information; memory map at 0x9100
 *              multiboot kernels: memory map at 0x9000, information at 0x9500 (where QEMU puts them)
 * 0x0000_9800  jkvm firmware: command line, NUL-terminated, at most 2047 bytes
 * 0x0001_0000  Linux: boot_params (the zero page); PVH: hvm_start_info, its memory map and module list
 * 0x0002_0000  Linux and PVH: the kernel command line
 * 0x0009_FC00  EBDA: reserved in the e820 map, as on a PC
 * 0x000E_0000  ACPI tables (RSDP first, 16-byte aligned, where Linux scans for it), reserved up to 1 MiB
 * 0x0010_0000  the firmware or kernel image (ELF PT_LOAD segments; a bzImage's protected-mode part)
 * 0xC000_0000  end of low RAM: 3-4 GiB is the MMIO hole (I/O APIC 0xFEC0_0000, local APIC 0xFEE0_0000)
 * 0xE000_0000  the PCI memory window (BARs), up to the I/O APIC: not in the e820 map (see {@link #PCI_WINDOW_START})
 * 0x1_0000_0000 RAM beyond 3 GiB continues here (second slot)
 * </pre>
 */
public final class X86Layout {
    private X86Layout() {
    }

    /** Guest-physical address of the GDT. */
    public static final long GDT_GPA = 0x500;
    /** GDT limit (4 entries of 8 bytes, minus one). */
    public static final int GDT_LIMIT = 4 * 8 - 1;
    /** Selector of the 64-bit code segment. */
    public static final int SEL_CODE64 = 0x08;
    /** Selector of the flat data segment. */
    public static final int SEL_DATA = 0x10;
    /** Selector of the 32-bit code segment. */
    public static final int SEL_CODE32 = 0x18;
    /** Guest-physical address of the PML4 (CR3). */
    public static final long PML4_GPA = 0x1000;
    /** Guest-physical address of the PDPT. */
    public static final long PDPT_GPA = 0x2000;
    /** Guest-physical address of the first page directory. */
    public static final long PD_GPA = 0x3000;
    /** Most GiB the boot page tables can map (page directories 0x3000-0x8fff). */
    public static final int MAX_MAPPED_GIB = 6;
    /** Least GiB the boot page tables map (the contract: at least 4 GiB). */
    public static final int MIN_MAPPED_GIB = 4;
    /** Guest-physical address of the multiboot information structure. */
    public static final long MBI_GPA = 0x9000;
    /** Guest-physical address of the multiboot memory map. */
    public static final long MMAP_GPA = 0x9100;
    /** Guest-physical address of the command line. */
    public static final long CMDLINE_GPA = 0x9800;
    /** Longest command line in bytes, without the NUL. */
    public static final int CMDLINE_MAX = 2047;
    /** Where the firmware image is expected to load. */
    public static final long IMAGE_GPA = 0x100000;
    /** End of conventional memory reported as mem_lower (640 KiB). */
    public static final long LOW_MEMORY_END = 0xA0000;
    /** End of low RAM and start of the MMIO hole. */
    public static final long MMIO_HOLE_START = 0xC000_0000L;
    /** Where RAM above the hole continues. */
    public static final long HIGH_RAM_START = 0x1_0000_0000L;
    /**
     * The PCI memory window, {@code [PCI_WINDOW_START, PCI_WINDOW_END)}, where the PCI bus places the BARs (the
     * devices bundle's {@code PciBus.HOLE_BASE}/{@code HOLE_END}; a test in the engine keeps them equal). The DSDT's
     * PCI root bridge declares it, and the e820 map leaves the hole below {@link #PCI_WINDOW_END} out rather than
     * reserving it: Linux cuts e820-reserved ranges out of a host bridge's windows.
     */
    public static final long PCI_WINDOW_START = 0xE000_0000L;
    /** One past the PCI memory window: the I/O APIC, the local APIC and the rest of 4 GiB follow, reserved. */
    public static final long PCI_WINDOW_END = 0xFEC0_0000L;
    /** Least guest RAM the engine accepts: the boot structures and the firmware must fit. */
    public static final long MIN_RAM_BYTES = 16L << 20;
    /** Most guest RAM the boot page tables can map (low 3 GiB plus up to 2 GiB above the hole). */
    public static final long MAX_RAM_BYTES = MMIO_HOLE_START + ((long) MAX_MAPPED_GIB << 30) - HIGH_RAM_START;
    /** EAX/RDI value a multiboot loader hands over. */
    public static final long MULTIBOOT_MAGIC = 0x2BADB002L;
    /** Initial ESP of a multiboot kernel (the specification leaves it undefined; QEMU's is a low-RAM stack too). */
    public static final long MB_STACK_GPA = 0x7000;
    /** Multiboot kernels: the memory map (QEMU's address). */
    public static final long MB_MMAP_GPA = 0x9000;
    /** Multiboot kernels: the information structure (QEMU's address). */
    public static final long MB_INFO_GPA = 0x9500;
    /** Linux: boot_params (the zero page); PVH: hvm_start_info. */
    public static final long ZERO_PAGE_GPA = 0x10000;
    /** Linux and PVH: the kernel command line. */
    public static final long KERNEL_CMDLINE_GPA = 0x20000;
    /** Linux and PVH: the longest command line, without the NUL (the area ends at the EBDA's page). */
    public static final int KERNEL_CMDLINE_MAX = 0x10000 - 1;
    /** Start of the EBDA (the top KiB of conventional memory, reserved as on a PC). */
    public static final long EBDA_GPA = 0x9FC00;
    /** The ACPI tables, RSDP first; the area up to 1 MiB is reserved in every memory map. */
    public static final long ACPI_GPA = 0xE0000;
    /** One past the ACPI area (the start of the image area). */
    public static final long ACPI_END_GPA = 0x100000;
    /** The I/O APIC's MMIO base. */
    public static final long IOAPIC_GPA = 0xFEC00000L;
    /** The local APIC's MMIO base (IA32_APIC_BASE's default). */
    public static final long LAPIC_GPA = 0xFEE00000L;

    /** Bytes of RAM in the slot at gpa 0 for a guest of {@code ramBytes}. */
    public static long lowRamBytes(long ramBytes) {
        return Math.min(ramBytes, MMIO_HOLE_START);
    }

    /** Bytes of RAM in the slot at {@link #HIGH_RAM_START} (0 when all RAM fits below the hole). */
    public static long highRamBytes(long ramBytes) {
        return Math.max(0, ramBytes - MMIO_HOLE_START);
    }
}
