package org.jkvm.loader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import org.jkvm.memory.GuestMemory;

/**
 * Loads an ELF32 or ELF64 x86 image into guest memory by its PT_LOAD segments (at their physical addresses,
 * as a multiboot loader does) and finds its jkvm {@link BootHeader}.
 *
 * <p>ELF header fields used (System V gABI): e_ident (magic, class, data), e_machine (3 = i386, 62 = x86-64),
 * e_entry, e_phoff, e_phentsize, e_phnum; program headers: p_type (1 = PT_LOAD), p_offset, p_paddr, p_filesz,
 * p_memsz. Every offset and size is checked against the file and guest RAM before anything is copied.
 * Stateless and thread-safe.
 */
public final class ElfLoader {
    /** Images larger than this are refused before reading (the firmware is a few tens of KiB). */
    public static final long MAX_IMAGE_BYTES = 64L << 20;

    private ElfLoader() {
    }

    /**
     * Reads the image file, refusing a missing, unreadable or oversized file with one sentence.
     *
     * @throws LoaderException naming the file
     */
    public static byte[] readFile(Path file) {
        try {
            long size = Files.size(file);
            if (size > MAX_IMAGE_BYTES) {
                throw new LoaderException("firmware file " + file + " is " + size + " bytes, more than the "
                        + MAX_IMAGE_BYTES + "-byte limit; pass a jkvm firmware image with -kernel");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new LoaderException("firmware file " + file + " does not exist; check the -kernel path", e);
        } catch (IOException e) {
            throw new LoaderException("cannot read firmware file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Loads {@code image} into {@code memory}.
     *
     * @param image  the whole ELF file
     * @param name   the file name, for messages
     * @param memory guest RAM; segments are written through {@link GuestMemory#write}
     * @return the entry points and the loaded range
     * @throws LoaderException when the file is not an x86 ELF image, is truncated or corrupt, does not fit in
     *                         RAM, or has no jkvm boot header
     */
    public static LoadedImage load(byte[] image, String name, GuestMemory memory) {
        ElfImage elf = ElfImage.parse(image, "firmware file " + name);
        BootHeader header = BootHeader.find(image, name);
        for (ElfImage.Segment s : elf.segments()) {
            if (s.memsz() > MAX_IMAGE_BYTES) {
                throw new LoaderException(String.format("firmware file %s has segment %d at 0x%x (+%d bytes), "
                        + "larger than a firmware image can be", name, s.index(), s.paddr(), s.memsz()));
            }
        }
        elf.load(image, memory, X86Layout.IMAGE_GPA);
        long first = elf.firstPaddr();
        long end = elf.endPaddr();
        if (header.entry64() < first || header.entry64() >= end) {
            throw new LoaderException(String.format("firmware file %s has its 64-bit entry 0x%x outside its "
                    + "loaded range 0x%x-0x%x", name, header.entry64(), first, end));
        }
        return new LoadedImage(name, elf.entry(), header.entry64(), first, end);
    }
}
