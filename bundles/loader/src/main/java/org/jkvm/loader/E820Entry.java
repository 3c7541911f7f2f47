package org.jkvm.loader;

/**
 * One entry of a PC's memory map (the BIOS INT 15h E820 format that Linux's boot_params, PVH's memory map and
 * multiboot's mmap all carry).
 *
 * @param base   first byte
 * @param length length in bytes
 * @param type   {@link #RAM}, {@link #RESERVED}, {@link #ACPI} or {@link #NVS}
 */
public record E820Entry(long base, long length, int type) {
    /** Usable RAM. */
    public static final int RAM = 1;
    /** Reserved: neither RAM nor for the OS to use (EBDA, BIOS area, MMIO). */
    public static final int RESERVED = 2;
    /** ACPI tables the OS may reclaim after reading them. */
    public static final int ACPI = 3;
    /** ACPI non-volatile storage. */
    public static final int NVS = 4;

    /** One past the last byte. */
    public long end() {
        return base + length;
    }
}
