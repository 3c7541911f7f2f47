package org.jkvm.loader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import org.jkvm.memory.GuestMemory;

/**
 * Boots a Linux bzImage through the x86 boot protocol (Documentation/arch/x86/boot.rst) the way a 64-bit boot
 * loader does: the protected-mode kernel at 1 MiB, {@code struct boot_params} (the zero page) at
 * {@link X86Layout#ZERO_PAGE_GPA} holding a copy of the setup header, the e820 map, the command line pointer, the
 * initrd and the RSDP address, then the 64-bit entry ({@code startup_64}, the protected-mode kernel + 0x200) in
 * long mode with the identity map, {@code __BOOT_CS} = 0x10 and {@code __BOOT_DS} = 0x18 flat, RSI = the zero page
 * and interrupts off. A kernel without XLF_KERNEL_64 is entered at {@code code32_start} in 32-bit protected mode,
 * paging off, with the same selectors, ESI = the zero page and EBP = EDI = EBX = 0.
 *
 * <pre>
 * boot_params offsets written: 0x070 acpi_rsdp_addr (2.14+), 0x1e8 e820_entries, 0x1f1.. the setup header
 * (type_of_loader 0xFF, ramdisk_image/size, cmd_line_ptr), 0x2d0 e820_table: {u64 addr, u64 size, u32 type}
 * </pre>
 *
 * The initrd (the {@code -initrd} files one after another, each padded to 4 bytes, as Linux unpacks concatenated
 * archives) goes page-aligned as high as {@code initrd_addr_max} and low RAM allow. Stateless.
 */
final class LinuxBoot {
    private static final int E820_ENTRIES = 0x1e8;
    private static final int E820_TABLE = 0x2d0;
    private static final int E820_MAX = 128;
    private static final int ACPI_RSDP_ADDR = 0x070;
    private static final int TYPE_OF_LOADER = 0x210;
    private static final int RAMDISK_IMAGE = 0x218;
    private static final int RAMDISK_SIZE = 0x21c;
    private static final int CMD_LINE_PTR = 0x228;
    private static final int ENTRY64_OFFSET = 0x200;
    /** The boot GDT: null, null, __BOOT_CS 0x10, __BOOT_DS 0x18. */
    private static final int BOOT_CS = 0x10;
    private static final int BOOT_DS = 0x18;

    private LinuxBoot() {
    }

    static LoadedKernel load(GuestMemory memory, BootRequest req, long rsdp) {
        String what = "kernel file " + req.kernelName();
        byte[] image = req.kernel();
        SetupHeader h = SetupHeader.parse(image, what);
        List<E820Entry> map = E820.of(memory);
        long ramEnd = E820.lowRamEnd(map);
        long kernelSize = image.length - h.setupBytes();
        long kernelEnd = kernelEnd(h, kernelSize);
        if (kernelEnd > ramEnd) {
            throw new LoaderException(String.format("%s needs %d MiB of RAM (it runs at 0x%x and needs %d MiB from "
                    + "there, init_size) but the guest has %d MiB; with 16 MiB more for its first allocations, give "
                    + "it at least %d MiB with -m", what, mib(kernelEnd),
                    Math.max(h.prefAddress(), X86Layout.IMAGE_GPA), mib(h.initSize()), mib(memory.totalBytes()),
                    mib(kernelEnd) + 16));
        }
        byte[] cmdline = Images.cString(req.cmdline());
        if (cmdline.length - 1 > Math.min(h.cmdlineSize(), X86Layout.KERNEL_CMDLINE_MAX)) {
            throw new LoaderException("the kernel command line (-append) is " + (cmdline.length - 1) + " bytes but "
                    + what + " accepts at most " + Math.min(h.cmdlineSize(), X86Layout.KERNEL_CMDLINE_MAX)
                    + "; shorten it");
        }
        memory.write(X86Layout.IMAGE_GPA, ByteBuffer.wrap(image, h.setupBytes(), (int) kernelSize));
        Images.put(memory, X86Layout.KERNEL_CMDLINE_GPA, cmdline);
        long[] initrd = placeInitrd(memory, req, h, kernelEnd, ramEnd);
        ByteBuffer zp = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        zp.put(SetupHeader.OFFSET, image, SetupHeader.OFFSET, h.headerEnd() - SetupHeader.OFFSET);
        zp.put(TYPE_OF_LOADER, (byte) 0xFF);
        zp.putInt(RAMDISK_IMAGE, (int) initrd[0]);
        zp.putInt(RAMDISK_SIZE, (int) initrd[1]);
        zp.putInt(CMD_LINE_PTR, (int) X86Layout.KERNEL_CMDLINE_GPA);
        if (h.version() >= SetupHeader.V2_14) {
            zp.putLong(ACPI_RSDP_ADDR, rsdp);
        }
        putE820(zp, map);
        memory.write(X86Layout.ZERO_PAGE_GPA, zp.clear());
        return entry(memory, h);
    }

    /**
     * One past the last byte the kernel needs: its file image at 1 MiB, or its run address (pref_address, or 1 MiB
     * aligned up to kernel_alignment if that is higher) plus init_size, whichever ends later.
     */
    static long kernelEnd(SetupHeader h, long kernelSize) {
        long loadEnd = X86Layout.IMAGE_GPA + kernelSize;
        long align = Math.max(h.kernelAlignment(), 1);
        long runAt = h.relocatable() ? (X86Layout.IMAGE_GPA + align - 1) / align * align : X86Layout.IMAGE_GPA;
        runAt = Math.max(runAt, h.prefAddress());
        return Math.max(loadEnd, runAt + h.initSize());
    }

    private static long[] placeInitrd(GuestMemory memory, BootRequest req, SetupHeader h, long kernelEnd,
            long ramEnd) {
        if (req.modules().isEmpty()) {
            return new long[] {0, 0};
        }
        long size = 0;
        for (Module m : req.modules()) {
            size += (m.data().length + 3) & ~3L;
        }
        long max = Math.min(h.initrdAddrMax() + 1, ramEnd);
        long at = (max - size) & ~0xfffL;
        if (size > 0xffffffffL || at < kernelEnd) {
            throw new LoaderException(String.format("the initrd (%s, %d bytes) does not fit in RAM: the kernel ends "
                    + "at 0x%x and the initrd must end below 0x%x; give the guest more memory with -m",
                    String.join(",", req.modules().stream().map(Module::path).toList()), size, kernelEnd, max));
        }
        long gpa = at;
        for (Module m : req.modules()) {
            Images.put(memory, gpa, m.data());
            long padded = (m.data().length + 3) & ~3L;
            Images.zero(memory, gpa + m.data().length, padded - m.data().length);
            gpa += padded;
        }
        return new long[] {at, size};
    }

    private static void putE820(ByteBuffer zp, List<E820Entry> map) {
        int n = Math.min(map.size(), E820_MAX);
        zp.put(E820_ENTRIES, (byte) n);
        for (int i = 0; i < n; i++) {
            E820Entry e = map.get(i);
            zp.putLong(E820_TABLE + i * 20, e.base());
            zp.putLong(E820_TABLE + i * 20 + 8, e.length());
            zp.putInt(E820_TABLE + i * 20 + 16, e.type());
        }
    }

    private static LoadedKernel entry(GuestMemory memory, SetupHeader h) {
        BootRegisters.Gprs gprs = new BootRegisters.Gprs(0, 0, 0, X86Layout.ZERO_PAGE_GPA, 0);
        if (h.has64BitEntry()) {
            int limit = BootSetup.writeGdt(memory, 0L, 0L, BootSetup.DESC_CODE64, BootSetup.DESC_DATA);
            BootSetup.writePageTables(memory);
            BootRegisters r = BootSetup.longMode(X86Layout.IMAGE_GPA + ENTRY64_OFFSET, gprs, BOOT_CS, BOOT_DS,
                    limit);
            return new LoadedKernel(r, LoadedKernel.Format.LINUX_BZIMAGE, "Linux bzImage, boot protocol "
                    + h.versionString() + ", 64-bit entry");
        }
        int limit = BootSetup.writeGdt(memory, 0L, 0L, BootSetup.DESC_CODE32, BootSetup.DESC_DATA);
        BootRegisters r = BootSetup.protected32(h.code32Start(), 0, gprs, BOOT_CS, BOOT_DS, limit, 0);
        return new LoadedKernel(r, LoadedKernel.Format.LINUX_BZIMAGE, "Linux bzImage, boot protocol "
                + h.versionString() + ", 32-bit entry");
    }

    private static long mib(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }
}
