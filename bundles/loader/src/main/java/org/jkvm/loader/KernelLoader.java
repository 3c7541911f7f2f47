package org.jkvm.loader;

import org.jkvm.loader.acpi.AcpiTables;
import org.jkvm.memory.GuestMemory;

/**
 * QEMU's {@code -kernel} for jkvm: recognises the image and boots it by its own protocol, after writing the ACPI
 * tables every guest gets. The format decides, in this order:
 *
 * <ol>
 * <li>a Linux bzImage (boot flag 0xAA55 at 0x1fe and "HdrS" at 0x202): {@link LinuxBoot};</li>
 * <li>an ELF image with the jkvm boot header (the bundled firmware): {@link BootSetup}, entered in long mode;</li>
 * <li>an ELF image with a PVH note (XEN_ELFNOTE_PHYS32_ENTRY): {@link PvhBoot};</li>
 * <li>a file with a multiboot v1 header in its first 8 KiB (ELF or a.out kludge): {@link MultibootBoot};</li>
 * <li>anything else is refused with one sentence.</li>
 * </ol>
 *
 * Stateless and thread-safe; call it on the vCPU's owner thread with the vCPU stopped (it writes guest RAM).
 */
public final class KernelLoader {
    /** Largest kernel file accepted, in bytes (a vmlinux with symbols is a few hundred MiB). */
    public static final long MAX_KERNEL_BYTES = 512L << 20;

    private KernelLoader() {
    }

    /**
     * Loads {@code req} into {@code memory}.
     *
     * @return the registers to start with and what was booted
     * @throws LoaderException with one sentence when the file is no kernel this loader knows, does not fit in
     *                         RAM, or its initrd does not
     */
    public static LoadedKernel load(GuestMemory memory, BootRequest req) {
        String what = "kernel file " + req.kernelName();
        byte[] image = req.kernel();
        long rsdp = AcpiTables.write(memory, req.vcpus());
        if (SetupHeader.isBzImage(image)) {
            return LinuxBoot.load(memory, req, rsdp);
        }
        boolean elf = ElfImage.isElf(image);
        if (elf && BootHeader.present(image)) {
            if (!req.modules().isEmpty()) {
                throw new LoaderException(req.kernelName() + " is the jkvm firmware, which takes no -initrd; drop "
                        + "-initrd or boot a Linux, PVH or multiboot kernel");
            }
            LoadedImage loaded = ElfLoader.load(image, req.kernelName(), memory);
            return new LoadedKernel(BootSetup.setUp(memory, loaded, req.cmdline()),
                    LoadedKernel.Format.JKVM_FIRMWARE, "jkvm firmware, 64-bit entry");
        }
        ElfImage parsed = elf ? ElfImage.parse(image, what) : null;
        if (parsed != null && PvhBoot.entry(parsed) >= 0) {
            return PvhBoot.load(memory, req, parsed, rsdp);
        }
        MultibootHeader mh = MultibootHeader.find(image, what);
        if (mh != null) {
            return MultibootBoot.load(memory, req, mh);
        }
        if (elf) {
            throw new LoaderException(what + " is an ELF image with neither a PVH note (XEN_ELFNOTE_PHYS32_ENTRY) "
                    + "nor a multiboot header, so there is no way to enter it; build the kernel with PVH support or "
                    + "pass its bzImage");
        }
        throw new LoaderException(what + " is neither a Linux bzImage, an ELF kernel nor a multiboot kernel; pass "
                + "one of those with -kernel");
    }
}
