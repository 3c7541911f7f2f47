package org.jkvm.loader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The setup header of a Linux bzImage (the x86 boot protocol, Documentation/arch/x86/boot.rst), at file offset
 * 0x1f1. Offsets are those of the file and of {@code struct boot_params}, which embeds the header at the same
 * place.
 *
 * <pre>
 * 0x1f1 u8  setup_sects     0 means 4; the protected-mode kernel starts at (setup_sects + 1) * 512
 * 0x1fe u16 boot_flag       0xAA55
 * 0x201 u8  jump offset     the header ends at 0x202 + this byte
 * 0x202 u32 header          "HdrS"
 * 0x206 u16 version         protocol version, e.g. 0x020f
 * 0x210 u8  type_of_loader  written by the loader (0xFF: no assigned id)
 * 0x211 u8  loadflags       bit 0 LOADED_HIGH (a bzImage)
 * 0x214 u32 code32_start    the 32-bit entry
 * 0x218 u32 ramdisk_image   written: the initrd's address
 * 0x21c u32 ramdisk_size    written: its size
 * 0x228 u32 cmd_line_ptr    written: the command line's address
 * 0x22c u32 initrd_addr_max highest address the initrd's last byte may have (2.03+)
 * 0x230 u32 kernel_alignment (2.05+)
 * 0x234 u8  relocatable_kernel (2.05+)
 * 0x236 u16 xloadflags      bit 0 XLF_KERNEL_64: startup_64 at +0x200 (2.12+)
 * 0x238 u32 cmdline_size    longest command line without the NUL (2.06+)
 * 0x258 u64 pref_address    preferred (and, for a 64-bit kernel, lowest) run address (2.10+)
 * 0x260 u32 init_size       memory the kernel needs from its run address while it decompresses and starts (2.10+)
 * </pre>
 *
 * @param version          the protocol version (0x0206 = 2.06)
 * @param setupBytes       bytes before the protected-mode kernel in the file
 * @param headerEnd        one past the header's last byte (file offset)
 * @param loadflags        loadflags
 * @param code32Start      code32_start
 * @param initrdAddrMax    initrd_addr_max
 * @param kernelAlignment  kernel_alignment
 * @param relocatable      relocatable_kernel != 0
 * @param xloadflags       xloadflags (0 before 2.12)
 * @param cmdlineSize      cmdline_size
 * @param prefAddress      pref_address (0x100000 before 2.10)
 * @param initSize         init_size (0 before 2.10)
 */
public record SetupHeader(int version, int setupBytes, int headerEnd, int loadflags, long code32Start,
        long initrdAddrMax, long kernelAlignment, boolean relocatable, int xloadflags, long cmdlineSize,
        long prefAddress, long initSize) {
    /** File offset of the header. */
    public static final int OFFSET = 0x1f1;
    /** "HdrS" as a little-endian u32. */
    public static final int MAGIC = 0x53726448;
    /** The oldest protocol this loader boots: 2.06 (cmdline_size, and kernels of 2009 on). */
    public static final int MIN_VERSION = 0x0206;
    /** loadflags: the protected-mode kernel loads at 1 MiB. */
    public static final int LOADED_HIGH = 1;
    /** xloadflags: the kernel has the 64-bit entry at offset 0x200. */
    public static final int XLF_KERNEL_64 = 1;
    /** Protocol 2.12: xloadflags exists. */
    public static final int V2_12 = 0x020c;
    /** Protocol 2.14: boot_params.acpi_rsdp_addr exists. */
    public static final int V2_14 = 0x020e;

    /** Whether {@code image} looks like a bzImage (boot flag and "HdrS"). */
    public static boolean isBzImage(byte[] image) {
        if (image.length < 0x264) {
            return false;
        }
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        return (b.getShort(0x1fe) & 0xffff) == 0xAA55 && b.getInt(0x202) == MAGIC;
    }

    /**
     * Parses and checks the header.
     *
     * @param what how messages name the file
     * @throws LoaderException when the protocol is older than 2.06, the image is not a bzImage, or truncated
     */
    public static SetupHeader parse(byte[] image, String what) {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int version = b.getShort(0x206) & 0xffff;
        if (version < MIN_VERSION) {
            throw new LoaderException(String.format("%s uses Linux boot protocol %d.%02d, older than the 2.06 this "
                    + "loader needs; boot a kernel from 2009 or later", what, version >> 8, version & 0xff));
        }
        int loadflags = image[0x211] & 0xff;
        if ((loadflags & LOADED_HIGH) == 0) {
            throw new LoaderException(what + " is a zImage that loads below 1 MiB; build a bzImage (make bzImage)");
        }
        int sects = image[0x1f1] & 0xff;
        int setupBytes = ((sects == 0 ? 4 : sects) + 1) * 512;
        int headerEnd = 0x202 + (image[0x201] & 0xff);
        if (setupBytes >= image.length || headerEnd > setupBytes || headerEnd > 0x1000) {
            throw new LoaderException(what + " is a truncated or corrupt bzImage: its setup code (" + setupBytes
                    + " bytes) does not fit in the " + image.length + "-byte file");
        }
        boolean v210 = version >= 0x020a;
        return new SetupHeader(version, setupBytes, headerEnd, loadflags, u32(b, 0x214), u32(b, 0x22c),
                u32(b, 0x230), image[0x234] != 0, version >= V2_12 ? b.getShort(0x236) & 0xffff : 0,
                u32(b, 0x238), v210 ? b.getLong(0x258) : X86Layout.IMAGE_GPA, v210 ? u32(b, 0x260) : 0);
    }

    /** "2.15" for 0x020f. */
    public String versionString() {
        return String.format("%d.%02d", version >> 8, version & 0xff);
    }

    /** Whether the kernel has the 64-bit entry (startup_64 at the protected-mode kernel + 0x200). */
    public boolean has64BitEntry() {
        return (xloadflags & XLF_KERNEL_64) != 0;
    }

    private static long u32(ByteBuffer b, int offset) {
        return b.getInt(offset) & 0xffffffffL;
    }
}
