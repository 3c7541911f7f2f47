package org.jkvm.loader;

/**
 * What {@link KernelLoader} put into guest memory.
 *
 * @param registers   the CPU state to start it with
 * @param format      which boot path was taken
 * @param description one phrase for the log, e.g. "Linux bzImage, boot protocol 2.15, 64-bit entry"
 */
public record LoadedKernel(BootRegisters registers, Format format, String description) {
    /** The boot paths. */
    public enum Format {
        /** The jkvm firmware entered directly in long mode (its JKVMBOOT header). */
        JKVM_FIRMWARE,
        /** A Linux bzImage through the x86 boot protocol. */
        LINUX_BZIMAGE,
        /** An ELF kernel through its PVH note. */
        PVH_ELF,
        /** A multiboot v1 kernel (ELF or a.out kludge). */
        MULTIBOOT
    }
}
