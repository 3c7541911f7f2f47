package org.jkvm.loader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.memory.GuestMemory;
import org.jkvm.memory.GuestMemoryException;

/**
 * An x86 ELF32 or ELF64 file parsed far enough to load it as a boot loader does: the header, the PT_LOAD segments
 * (loaded at their physical addresses) and the notes of the PT_NOTE segments.
 *
 * <p>Fields used (System V gABI): e_ident (magic, class, data), e_machine (3 = i386, 62 = x86-64), e_entry,
 * e_phoff, e_phentsize, e_phnum; program headers: p_type (1 = PT_LOAD, 4 = PT_NOTE), p_offset, p_vaddr, p_paddr,
 * p_filesz, p_memsz; notes: namesz, descsz, type, name and descriptor, each padded to 4 bytes. Every offset and
 * size is checked against the file before it is used. Immutable and thread-safe.
 *
 * @param what     how messages name the file, e.g. "kernel file vmlinux"
 * @param is64     ELF class 2
 * @param entry    e_entry
 * @param segments the PT_LOAD segments with a non-zero p_memsz, in file order
 * @param notes    the notes of every PT_NOTE segment
 */
public record ElfImage(String what, boolean is64, long entry, List<Segment> segments, List<Note> notes) {
    private static final int PT_LOAD = 1;
    private static final int PT_NOTE = 4;
    private static final int EM_386 = 3;
    private static final int EM_X86_64 = 62;
    private static final int ELF_MAGIC = 0x464C457F;

    /**
     * One PT_LOAD program header.
     *
     * @param index  its index among the program headers
     * @param offset p_offset
     * @param vaddr  p_vaddr
     * @param paddr  p_paddr (where a boot loader puts it)
     * @param filesz p_filesz
     * @param memsz  p_memsz (the rest after p_filesz is zeroed)
     */
    public record Segment(int index, long offset, long vaddr, long paddr, long filesz, long memsz) {
        /** One past the last physical byte. */
        public long paddrEnd() {
            return paddr + memsz;
        }
    }

    /**
     * One ELF note.
     *
     * @param name the owner name without its NUL, e.g. "Xen"
     * @param type the note type
     * @param desc the descriptor bytes
     */
    public record Note(String name, int type, byte[] desc) {
    }

    /** Whether {@code image} starts with the ELF magic. */
    public static boolean isElf(byte[] image) {
        return image.length >= 4 && ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).getInt(0) == ELF_MAGIC;
    }

    /**
     * Parses {@code image}.
     *
     * @param what how messages name the file
     * @throws LoaderException when it is not a little-endian x86 ELF file or its headers do not fit in it
     */
    public static ElfImage parse(byte[] image, String what) {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        if (image.length < 52 || !isElf(image)) {
            throw new LoaderException(what + " is not an ELF image");
        }
        int elfClass = image[4];
        if (elfClass != 1 && elfClass != 2) {
            throw new LoaderException(what + " has ELF class " + elfClass + "; expected 1 (32-bit) or 2 (64-bit)");
        }
        if (image[5] != 1) {
            throw new LoaderException(what + " is not a little-endian ELF image");
        }
        boolean is64 = elfClass == 2;
        int machine = b.getShort(18) & 0xffff;
        if (machine != EM_386 && machine != EM_X86_64) {
            throw new LoaderException(what + " is an ELF image for machine " + machine + ", not x86");
        }
        if (is64 && image.length < 64) {
            throw new LoaderException(what + " is truncated inside its ELF header");
        }
        long entry = is64 ? b.getLong(24) : b.getInt(24) & 0xffffffffL;
        long phoff = is64 ? b.getLong(32) : b.getInt(28) & 0xffffffffL;
        int phentsize = b.getShort(is64 ? 54 : 42) & 0xffff;
        int phnum = b.getShort(is64 ? 56 : 44) & 0xffff;
        if (phnum == 0 || phentsize < (is64 ? 56 : 32) || phoff < 0
                || phoff + (long) phnum * phentsize > image.length) {
            throw new LoaderException(what + " is a corrupt ELF image: its program headers (" + phnum + " of "
                    + phentsize + " bytes at " + phoff + ") do not fit in " + image.length + " bytes");
        }
        List<Segment> segments = new ArrayList<>();
        List<Note> notes = new ArrayList<>();
        for (int i = 0; i < phnum; i++) {
            int ph = (int) (phoff + (long) i * phentsize);
            int type = b.getInt(ph);
            Segment s = is64
                    ? new Segment(i, b.getLong(ph + 8), b.getLong(ph + 16), b.getLong(ph + 24), b.getLong(ph + 32),
                            b.getLong(ph + 40))
                    : new Segment(i, u32(b, ph + 4), u32(b, ph + 8), u32(b, ph + 12), u32(b, ph + 16),
                            u32(b, ph + 20));
            if (type != PT_LOAD && type != PT_NOTE) {
                continue;
            }
            if (s.offset < 0 || s.filesz < 0 || s.offset + s.filesz > image.length || s.filesz > Integer.MAX_VALUE
                    || (type == PT_LOAD && (s.memsz < s.filesz || s.paddr < 0 || s.paddr + s.memsz < s.paddr))) {
                throw new LoaderException(what + " is a corrupt ELF image: segment " + i + " (offset " + s.offset
                        + ", " + s.filesz + " bytes in file, " + s.memsz + " in memory) does not fit in "
                        + image.length + " bytes");
            }
            if (type == PT_NOTE) {
                readNotes(b, s, what, notes);
            } else if (s.memsz > 0) {
                segments.add(s);
            }
        }
        if (segments.isEmpty()) {
            throw new LoaderException(what + " has no loadable (PT_LOAD) segment");
        }
        return new ElfImage(what, is64, entry, List.copyOf(segments), List.copyOf(notes));
    }

    /** The note of {@code name} and {@code type}, or null. */
    public Note note(String name, int type) {
        for (Note n : notes) {
            if (n.name.equals(name) && n.type == type) {
                return n;
            }
        }
        return null;
    }

    /** The lowest physical address loaded. */
    public long firstPaddr() {
        return segments.stream().mapToLong(Segment::paddr).min().orElseThrow();
    }

    /** One past the highest physical address loaded (including zeroed .bss). */
    public long endPaddr() {
        return segments.stream().mapToLong(Segment::paddrEnd).max().orElseThrow();
    }

    /**
     * The physical address of virtual address {@code vaddr} through the segment that holds it, or {@code vaddr}
     * itself when no segment does (a kernel linked at its physical addresses).
     */
    public long physical(long vaddr) {
        for (Segment s : segments) {
            if (vaddr - s.vaddr >= 0 && vaddr - s.vaddr < s.memsz) {
                return s.paddr + (vaddr - s.vaddr);
            }
        }
        return vaddr;
    }

    /**
     * Copies every segment to its physical address and zeroes the rest of its p_memsz.
     *
     * @param image  the file the headers were parsed from
     * @param minGpa the lowest address a segment may start at (below it lie the boot structures)
     * @throws LoaderException naming the segment when it lies below {@code minGpa} or outside RAM
     */
    public void load(byte[] image, GuestMemory memory, long minGpa) {
        for (Segment s : segments) {
            if (s.paddr < minGpa) {
                throw new LoaderException(String.format("%s has segment %d at 0x%x (+%d bytes), below 0x%x where "
                        + "the boot structures lie; link the kernel at 1 MiB or above", what, s.index, s.paddr,
                        s.memsz, minGpa));
            }
            try {
                memory.regionFor(s.paddr);
                memory.regionFor(s.paddrEnd() - 1);
                memory.write(s.paddr, ByteBuffer.wrap(image, (int) s.offset, (int) s.filesz));
                Images.zero(memory, s.paddr + s.filesz, s.memsz - s.filesz);
            } catch (GuestMemoryException e) {
                throw new LoaderException(String.format("%s does not fit in guest RAM: segment %d needs 0x%x-0x%x; "
                        + "give the guest more memory with -m", what, s.index, s.paddr, s.paddrEnd()), e);
            }
        }
    }

    private static void readNotes(ByteBuffer b, Segment s, String what, List<Note> out) {
        long at = s.offset;
        long end = s.offset + s.filesz;
        while (at + 12 <= end) {
            long namesz = u32(b, (int) at);
            long descsz = u32(b, (int) at + 4);
            int type = b.getInt((int) at + 8);
            long name = at + 12;
            long desc = name + align4(namesz);
            long next = desc + align4(descsz);
            if (next > end || next < at) {
                throw new LoaderException(what + " is a corrupt ELF image: a note in segment " + s.index
                        + " runs past the segment's end");
            }
            int nameLength = (int) Math.max(0, namesz - 1);
            String n = new String(b.array(), (int) name, nameLength, StandardCharsets.ISO_8859_1);
            byte[] d = new byte[(int) descsz];
            System.arraycopy(b.array(), (int) desc, d, 0, d.length);
            out.add(new Note(n, type, d));
            at = next;
        }
    }

    private static long align4(long n) {
        return (n + 3) & ~3L;
    }

    private static long u32(ByteBuffer b, int offset) {
        return b.getInt(offset) & 0xffffffffL;
    }
}
