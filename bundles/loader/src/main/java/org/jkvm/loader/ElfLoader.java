package org.jkvm.loader;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import org.jkvm.memory.GuestMemory;
import org.jkvm.memory.GuestMemoryException;

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
    private static final int PT_LOAD = 1;
    private static final int EM_386 = 3;
    private static final int EM_X86_64 = 62;
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
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        if (image.length < 52 || b.getInt(0) != 0x464C457F) {
            throw new LoaderException("firmware file " + name + " is not an ELF image");
        }
        int elfClass = image[4];
        if (elfClass != 1 && elfClass != 2) {
            throw new LoaderException("firmware file " + name + " has ELF class " + elfClass + "; expected 1 "
                    + "(32-bit) or 2 (64-bit)");
        }
        if (image[5] != 1) {
            throw new LoaderException("firmware file " + name + " is not a little-endian ELF image");
        }
        boolean is64 = elfClass == 2;
        int machine = b.getShort(18) & 0xffff;
        if (machine != EM_386 && machine != EM_X86_64) {
            throw new LoaderException("firmware file " + name + " is an ELF image for machine " + machine
                    + ", not x86");
        }
        if (is64 && image.length < 64) {
            throw new LoaderException("firmware file " + name + " is truncated inside its ELF header");
        }
        long entry = is64 ? b.getLong(24) : b.getInt(24) & 0xffffffffL;
        long phoff = is64 ? b.getLong(32) : b.getInt(28) & 0xffffffffL;
        int phentsize = b.getShort(is64 ? 54 : 42) & 0xffff;
        int phnum = b.getShort(is64 ? 56 : 44) & 0xffff;
        int minEntry = is64 ? 56 : 32;
        if (phnum == 0 || phentsize < minEntry || phoff < 0 || phoff + (long) phnum * phentsize > image.length) {
            throw new LoaderException("firmware file " + name + " is a corrupt ELF image: its program headers ("
                    + phnum + " of " + phentsize + " bytes at " + phoff + ") do not fit in " + image.length
                    + " bytes");
        }
        BootHeader header = BootHeader.find(image, name);
        long first = Long.MAX_VALUE;
        long end = 0;
        int loads = 0;
        for (int i = 0; i < phnum; i++) {
            int ph = (int) (phoff + (long) i * phentsize);
            if (b.getInt(ph) != PT_LOAD) {
                continue;
            }
            Segment s = is64
                    ? new Segment(b.getLong(ph + 8), b.getLong(ph + 24), b.getLong(ph + 32), b.getLong(ph + 40))
                    : new Segment(b.getInt(ph + 4) & 0xffffffffL, b.getInt(ph + 12) & 0xffffffffL,
                            b.getInt(ph + 16) & 0xffffffffL, b.getInt(ph + 20) & 0xffffffffL);
            copySegment(image, name, i, s, memory);
            if (s.memsz > 0) {
                first = Math.min(first, s.paddr);
                end = Math.max(end, s.paddr + s.memsz);
                loads++;
            }
        }
        if (loads == 0) {
            throw new LoaderException("firmware file " + name + " has no loadable (PT_LOAD) segment");
        }
        if (header.entry64() < first || header.entry64() >= end) {
            throw new LoaderException(String.format("firmware file %s has its 64-bit entry 0x%x outside its "
                    + "loaded range 0x%x-0x%x", name, header.entry64(), first, end));
        }
        return new LoadedImage(name, entry, header.entry64(), first, end);
    }

    /** One PT_LOAD program header. */
    private record Segment(long offset, long paddr, long filesz, long memsz) {
    }

    private static void copySegment(byte[] image, String name, int index, Segment s, GuestMemory memory) {
        if (s.offset < 0 || s.filesz < 0 || s.memsz < s.filesz || s.offset + s.filesz > image.length) {
            throw new LoaderException("firmware file " + name + " is a corrupt ELF image: segment " + index
                    + " (offset " + s.offset + ", " + s.filesz + " bytes in file, " + s.memsz
                    + " in memory) does not fit in " + image.length + " bytes");
        }
        if (s.memsz == 0) {
            return;
        }
        if (s.paddr < X86Layout.IMAGE_GPA || s.memsz > MAX_IMAGE_BYTES) {
            throw new LoaderException(String.format("firmware file %s has segment %d at 0x%x (+%d bytes), "
                    + "outside the image area that starts at 0x%x", name, index, s.paddr, s.memsz,
                    X86Layout.IMAGE_GPA));
        }
        try {
            memory.regionFor(s.paddr);
            memory.regionFor(s.paddr + s.memsz - 1);
            memory.write(s.paddr, ByteBuffer.wrap(image, (int) s.offset, (int) s.filesz));
            long zeros = s.memsz - s.filesz;
            byte[] zero = new byte[(int) Math.min(zeros, 64 * 1024)];
            for (long done = 0; done < zeros; done += zero.length) {
                int n = (int) Math.min(zero.length, zeros - done);
                memory.write(s.paddr + s.filesz + done, ByteBuffer.wrap(zero, 0, n));
            }
        } catch (GuestMemoryException e) {
            throw new LoaderException(String.format("firmware file %s does not fit in guest RAM: segment %d "
                    + "needs 0x%x-0x%x; give the guest more memory with -m", name, index, s.paddr,
                    s.paddr + s.memsz), e);
        }
    }
}
