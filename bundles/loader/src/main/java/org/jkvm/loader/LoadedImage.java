package org.jkvm.loader;

/**
 * What {@link ElfLoader} put into guest memory.
 *
 * @param name     the image name (file path) for messages
 * @param elfEntry the ELF entry point (where a multiboot loader would start, in 32-bit mode)
 * @param entry64  the 64-bit entry point from the jkvm boot header (where the engine starts)
 * @param firstGpa lowest guest-physical byte loaded
 * @param endGpa   one past the highest guest-physical byte loaded (including zeroed .bss)
 */
public record LoadedImage(String name, long elfEntry, long entry64, long firstGpa, long endGpa) {
}
