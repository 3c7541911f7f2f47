package org.jkvm.loader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import org.jkvm.memory.GuestMemory;

/**
 * Boots a multiboot v1 kernel (Multiboot Specification 0.6.96) the way QEMU's {@code -kernel} does, so a kernel
 * sees the same registers and the same information structure at the same addresses (measured against QEMU 7.2
 * TCG with a probe kernel; MultibootVsQemuTest compares them):
 *
 * <ul>
 * <li>the kernel: its ELF PT_LOAD segments at their physical addresses, or with the a.out kludge (flags bit 16)
 *     the file from {@code header_addr - load_addr} before the header, up to {@code load_end_addr}, then zeroes up
 *     to {@code bss_end_addr};</li>
 * <li>right after it, at the kernel's start + its size rounded up to 4 KiB: the module list (16 bytes each:
 *     mod_start, mod_end, string, 0), then the strings (each module's {@code -initrd} specification, then the
 *     kernel's command line "NAME APPEND": the {@code -kernel} path as given, a space and {@code -append}), then the
 *     boot loader name; then each module at the next 4 KiB boundary (offsets from the kernel's start);</li>
 * <li>the memory map ({@link E820}, 24 bytes an entry: size 20, base, length, type) at 0x9000 and the information
 *     at 0x9500: flags 0x24F (mem, boot_device, cmdline, mods, mmap, boot_loader_name), mem_lower 639, mem_upper
 *     = the KiB of the RAM entry at 1 MiB, boot_device 0x8000FFFF;</li>
 * <li>the CPU: 32-bit protected mode, paging off, EAX = 0x2BADB002, EBX = 0x9500, ECX = the entry (QEMU's loader
 *     jumps through it), CS = 0x08 flat 32-bit code, DS/ES/FS/GS/SS = 0x10 flat data, a GDT of five entries (null,
 *     code32, data, code16, data16) at 0x500, IDTR = 0/0x3FF, CR0 = PE | ET, EFLAGS = 0x2.</li>
 * </ul>
 *
 * Differences from QEMU, all in what the specification leaves open or in the platform: the boot loader name is
 * "jkvm" (QEMU: "qemu"); the memory map is jkvm's (QEMU's SeaBIOS reserves the top 128 KiB of low RAM and the BIOS
 * area from 0xF0000, so mem_upper differs by 128); ESP = 0x7000 and EDX = EDI = 0 (QEMU's are its option ROM's
 * left-overs). Stateless.
 */
final class MultibootBoot {
    /** flags of the information structure: mem, boot_device, cmdline, mods, mmap, boot_loader_name. */
    static final int INFO_FLAGS = 0x24F;
    /** boot_device: no BIOS drive (QEMU's value). */
    static final int BOOT_DEVICE = 0x8000FFFF;
    /** The boot loader name. */
    static final String LOADER_NAME = "jkvm";
    private static final int CODE32 = 0x08;
    private static final int DATA = 0x10;
    private static final int INFO_BYTES = 0x58;

    private MultibootBoot() {
    }

    static LoadedKernel load(GuestMemory memory, BootRequest req, MultibootHeader mh) {
        String what = "kernel file " + req.kernelName();
        long ramEnd = E820.lowRamEnd(E820.of(memory));
        long[] kernel = mh.aoutKludge() ? loadAout(memory, req.kernel(), mh, what, ramEnd)
                : loadElf(memory, req.kernel(), what, ramEnd);
        long start = kernel[0];
        long entry = kernel[2];
        long modsAddr = start + Images.pageAlign(kernel[1] - start);
        List<Module> modules = req.modules();
        ByteBuffer mods = ByteBuffer.allocate(16 * modules.size()).order(ByteOrder.LITTLE_ENDIAN);
        long strings = modsAddr + 16L * modules.size();
        long stringBytes = Images.cString(req.kernelName() + " " + req.cmdline()).length + LOADER_NAME.length() + 1;
        for (Module m : modules) {
            stringBytes += Images.cString(m.spec()).length;
        }
        checkRange(what, start, strings + stringBytes, ramEnd);
        long[] moduleStrings = new long[modules.size()];
        for (int i = 0; i < modules.size(); i++) {
            moduleStrings[i] = strings;
            strings += Images.putString(memory, strings, modules.get(i).spec());
        }
        long cmdline = strings;
        strings += Images.putString(memory, cmdline, req.kernelName() + " " + req.cmdline());
        long loaderName = strings;
        strings += Images.putString(memory, loaderName, LOADER_NAME);
        long at = start + Images.pageAlign(strings - start);
        for (int i = 0; i < modules.size(); i++) {
            Module m = modules.get(i);
            long end = at + m.data().length;
            if (end > ramEnd) {
                throw new LoaderException(String.format("the initrd %s (%d bytes) does not fit in RAM: as module %d "
                        + "it would end at 0x%x, past the end of RAM at 0x%x; give the guest more memory with -m",
                        m.path(), m.data().length, i, end, ramEnd));
            }
            Images.put(memory, at, m.data());
            mods.putInt((int) at).putInt((int) end).putInt((int) moduleStrings[i]).putInt(0);
            at = start + Images.pageAlign(end - start);
        }
        if (modules.size() > 0) {
            memory.write(modsAddr, mods.flip());
        }
        writeInfo(memory, cmdline, modules.size(), modsAddr, loaderName);
        int limit = BootSetup.writeGdt(memory, 0L, BootSetup.DESC_CODE32, BootSetup.DESC_DATA,
                BootSetup.DESC_CODE16, BootSetup.DESC_DATA16);
        BootRegisters r = BootSetup.protected32(entry, X86Layout.MB_STACK_GPA,
                new BootRegisters.Gprs(X86Layout.MULTIBOOT_MAGIC, X86Layout.MB_INFO_GPA, entry, 0, 0), CODE32, DATA,
                limit, 0x3ff);
        return new LoadedKernel(r, LoadedKernel.Format.MULTIBOOT, String.format("multiboot kernel (%s), entry "
                + "0x%x%s", mh.aoutKludge() ? "a.out kludge" : "ELF", entry,
                modules.isEmpty() ? "" : ", " + modules.size() + " module(s)"));
    }

    /** Loads by the a.out kludge's addresses; returns {start, end including bss, entry}. */
    private static long[] loadAout(GuestMemory memory, byte[] image, MultibootHeader mh, String what, long ramEnd) {
        long fileStart = mh.fileOffset() - (mh.headerAddr() - mh.loadAddr());
        long loadEnd = mh.loadEndAddr() == 0 ? mh.loadAddr() + (image.length - fileStart) : mh.loadEndAddr();
        long bssEnd = mh.bssEndAddr() == 0 ? loadEnd : mh.bssEndAddr();
        if (mh.headerAddr() < mh.loadAddr() || fileStart < 0 || loadEnd < mh.loadAddr()
                || fileStart + (loadEnd - mh.loadAddr()) > image.length || bssEnd < loadEnd) {
            throw new LoaderException(String.format("%s is a corrupt multiboot kernel: its a.out kludge addresses "
                    + "(header 0x%x, load 0x%x-0x%x, bss end 0x%x) do not match the %d-byte file", what,
                    mh.headerAddr(), mh.loadAddr(), mh.loadEndAddr(), mh.bssEndAddr(), image.length));
        }
        checkRange(what, mh.loadAddr(), bssEnd, ramEnd);
        memory.write(mh.loadAddr(), ByteBuffer.wrap(image, (int) fileStart, (int) (loadEnd - mh.loadAddr())));
        Images.zero(memory, loadEnd, bssEnd - loadEnd);
        return new long[] {mh.loadAddr(), bssEnd, mh.entryAddr()};
    }

    /** Loads the ELF segments; returns {start, end, entry (physical)}. */
    private static long[] loadElf(GuestMemory memory, byte[] image, String what, long ramEnd) {
        if (!ElfImage.isElf(image)) {
            throw new LoaderException(what + " has a multiboot header without the a.out kludge (flags bit 16) but is "
                    + "not an ELF image; link it as ELF or set the header's address fields");
        }
        ElfImage elf = ElfImage.parse(image, what);
        checkRange(what, elf.firstPaddr(), elf.endPaddr(), ramEnd);
        elf.load(image, memory, X86Layout.IMAGE_GPA);
        return new long[] {elf.firstPaddr(), elf.endPaddr(), elf.physical(elf.entry())};
    }

    private static void checkRange(String what, long start, long end, long ramEnd) {
        if (start < X86Layout.IMAGE_GPA) {
            throw new LoaderException(String.format("%s loads at 0x%x, below 1 MiB where the boot structures lie; "
                    + "link it at 1 MiB or above", what, start));
        }
        if (end > ramEnd) {
            throw new LoaderException(String.format("%s needs %d MiB of RAM (it loads up to 0x%x) but the guest has "
                    + "%d MiB below the MMIO hole; give it more with -m", what, (end + 0xfffff) >> 20, end,
                    ramEnd >> 20));
        }
    }

    private static void writeInfo(GuestMemory memory, long cmdline, int modCount, long modsAddr, long loaderName) {
        List<E820Entry> map = E820.of(memory);
        ByteBuffer mm = ByteBuffer.allocate(24 * map.size()).order(ByteOrder.LITTLE_ENDIAN);
        long upper = 0;
        for (E820Entry e : map) {
            mm.putInt(20).putLong(e.base()).putLong(e.length()).putInt(e.type());
            if (e.type() == E820Entry.RAM && e.base() == X86Layout.IMAGE_GPA) {
                upper = e.length() >> 10;
            }
        }
        memory.write(X86Layout.MB_MMAP_GPA, mm.flip());
        ByteBuffer mbi = ByteBuffer.allocate(INFO_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        mbi.putInt(0, INFO_FLAGS);
        mbi.putInt(4, (int) (X86Layout.EBDA_GPA >> 10));
        mbi.putInt(8, (int) Math.min(upper, 0xffffffffL));
        mbi.putInt(12, BOOT_DEVICE);
        mbi.putInt(16, (int) cmdline);
        mbi.putInt(20, modCount);
        mbi.putInt(24, (int) modsAddr);
        mbi.putInt(44, 24 * map.size());
        mbi.putInt(48, (int) X86Layout.MB_MMAP_GPA);
        mbi.putInt(64, (int) loaderName);
        memory.write(X86Layout.MB_INFO_GPA, mbi);
    }
}
