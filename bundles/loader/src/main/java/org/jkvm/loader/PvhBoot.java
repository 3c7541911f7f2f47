package org.jkvm.loader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import org.jkvm.memory.GuestMemory;

/**
 * Boots an ELF kernel through its PVH entry (Xen's HVM direct boot ABI, docs/misc/pvh.pandoc in Xen, which QEMU,
 * Firecracker and Cloud Hypervisor use for a Linux vmlinux): the PT_LOAD segments at their physical addresses, the
 * entry from the note XEN_ELFNOTE_PHYS32_ENTRY ("Xen", type 18, a 32- or 64-bit physical address), and
 * {@code struct hvm_start_info} version 1 at {@link X86Layout#ZERO_PAGE_GPA}:
 *
 * <pre>
 * 0  u32 magic 0x336ec578   4  u32 version 1   8  u32 flags 0   12 u32 nr_modules
 * 16 u64 modlist_paddr      24 u64 cmdline_paddr                32 u64 rsdp_paddr
 * 40 u64 memmap_paddr       48 u32 memmap_entries                52 u32 reserved
 * module (32 bytes): u64 paddr, u64 size, u64 cmdline_paddr, u64 reserved
 * memory map entry (24 bytes): u64 addr, u64 size, u32 type (e820 numbering), u32 reserved
 * </pre>
 *
 * Entry: 32-bit protected mode, paging off, CS a flat 32-bit code segment, DS/ES/SS flat data, EBX = the start
 * info, CR0 = PE | ET, CR4 = 0, interrupts off. Modules ({@code -initrd}) follow the kernel page-aligned, each
 * with its specification as its string. Stateless.
 */
final class PvhBoot {
    /** The note type of the 32-bit physical entry. */
    static final int XEN_ELFNOTE_PHYS32_ENTRY = 18;
    /** hvm_start_info.magic. */
    static final int START_MAGIC = 0x336ec578;
    static final long MEMMAP_GPA = X86Layout.ZERO_PAGE_GPA + 0x40;
    static final long MODLIST_GPA = X86Layout.ZERO_PAGE_GPA + 0x1000;
    static final long MODSTRINGS_GPA = X86Layout.ZERO_PAGE_GPA + 0x2000;
    private static final int MAX_MODULES = 128;
    private static final int CODE32 = 0x10;
    private static final int DATA = 0x18;

    private PvhBoot() {
    }

    /** The PVH entry of {@code elf}, or -1 when it has no PVH note. */
    static long entry(ElfImage elf) {
        ElfImage.Note n = elf.note("Xen", XEN_ELFNOTE_PHYS32_ENTRY);
        if (n == null || (n.desc().length != 4 && n.desc().length != 8)) {
            return -1;
        }
        ByteBuffer d = ByteBuffer.wrap(n.desc()).order(ByteOrder.LITTLE_ENDIAN);
        return n.desc().length == 4 ? d.getInt(0) & 0xffffffffL : d.getLong(0);
    }

    static LoadedKernel load(GuestMemory memory, BootRequest req, ElfImage elf, long rsdp) {
        String what = elf.what();
        long entry = entry(elf);
        List<E820Entry> map = E820.of(memory);
        long ramEnd = E820.lowRamEnd(map);
        if (elf.endPaddr() > ramEnd) {
            throw new LoaderException(String.format("%s needs %d MiB of RAM (it loads up to 0x%x) but the guest has "
                    + "%d MiB below the MMIO hole; give it more with -m", what, (elf.endPaddr() + 0xfffff) >> 20,
                    elf.endPaddr(), ramEnd >> 20));
        }
        if (entry >= 0x1_0000_0000L) {
            throw new LoaderException(String.format("%s has its PVH entry at 0x%x, above 4 GiB where 32-bit code "
                    + "cannot start", what, entry));
        }
        if (req.modules().size() > MAX_MODULES) {
            throw new LoaderException("-initrd names " + req.modules().size() + " files; a PVH kernel takes at most "
                    + MAX_MODULES);
        }
        byte[] cmdline = Images.cString(req.cmdline());
        if (cmdline.length - 1 > X86Layout.KERNEL_CMDLINE_MAX) {
            throw new LoaderException("the kernel command line (-append) is " + (cmdline.length - 1)
                    + " bytes; shorten it to at most " + X86Layout.KERNEL_CMDLINE_MAX);
        }
        elf.load(req.kernel(), memory, X86Layout.IMAGE_GPA);
        Images.put(memory, X86Layout.KERNEL_CMDLINE_GPA, cmdline);
        writeModules(memory, req, Images.pageAlign(elf.endPaddr()), ramEnd);
        ByteBuffer info = ByteBuffer.allocate(56).order(ByteOrder.LITTLE_ENDIAN);
        info.putInt(START_MAGIC).putInt(1).putInt(0).putInt(req.modules().size());
        info.putLong(req.modules().isEmpty() ? 0 : MODLIST_GPA).putLong(X86Layout.KERNEL_CMDLINE_GPA);
        info.putLong(rsdp).putLong(MEMMAP_GPA).putInt(map.size()).putInt(0);
        memory.write(X86Layout.ZERO_PAGE_GPA, info.flip());
        ByteBuffer mm = ByteBuffer.allocate(24 * map.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (E820Entry e : map) {
            mm.putLong(e.base()).putLong(e.length()).putInt(e.type()).putInt(0);
        }
        memory.write(MEMMAP_GPA, mm.flip());
        int limit = BootSetup.writeGdt(memory, 0L, 0L, BootSetup.DESC_CODE32, BootSetup.DESC_DATA);
        BootRegisters r = BootSetup.protected32(entry, 0,
                new BootRegisters.Gprs(0, X86Layout.ZERO_PAGE_GPA, 0, 0, 0), CODE32, DATA, limit, 0);
        return new LoadedKernel(r, LoadedKernel.Format.PVH_ELF, String.format("ELF kernel through its PVH entry "
                + "0x%x%s", entry, req.modules().isEmpty() ? "" : ", " + req.modules().size() + " module(s)"));
    }

    private static void writeModules(GuestMemory memory, BootRequest req, long from, long ramEnd) {
        long gpa = from;
        long strings = MODSTRINGS_GPA;
        ByteBuffer list = ByteBuffer.allocate(32 * Math.max(1, req.modules().size())).order(ByteOrder.LITTLE_ENDIAN);
        for (Module m : req.modules()) {
            long end = gpa + m.data().length;
            if (end > ramEnd) {
                throw new LoaderException(String.format("the initrd %s (%d bytes) does not fit in RAM: it would end "
                        + "at 0x%x, past the end of RAM at 0x%x; give the guest more memory with -m", m.path(),
                        m.data().length, end, ramEnd));
            }
            byte[] s = Images.cString(m.spec());
            if (strings + s.length > X86Layout.KERNEL_CMDLINE_GPA) {
                throw new LoaderException("the -initrd strings are too long together; shorten the file names");
            }
            Images.put(memory, gpa, m.data());
            Images.put(memory, strings, s);
            list.putLong(gpa).putLong(m.data().length).putLong(strings).putLong(0);
            strings += s.length;
            gpa = Images.pageAlign(end);
        }
        if (!req.modules().isEmpty()) {
            memory.write(MODLIST_GPA, list.flip());
        }
    }
}
