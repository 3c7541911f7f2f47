package org.jkvm.loader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Synthetic kernel files for loader tests (and the engine's, through the test jar): a bzImage with a chosen setup
 * header, an ELF with a PVH note, multiboot kernels as ELF and with the a.out kludge. Each payload is real code
 * only where a test runs it; otherwise the bytes are a recognisable pattern.
 */
public final class TestKernels {
    private TestKernels() {
    }

    /**
     * A bzImage of boot protocol {@code version} whose protected-mode part is {@code payload}.
     *
     * @param xloadflags  xloadflags (bit 0: the 64-bit entry at +0x200)
     * @param initSize    init_size
     * @param prefAddress pref_address
     */
    public static byte[] bzImage(int version, int xloadflags, long initSize, long prefAddress, byte[] payload) {
        int setupSects = 4;
        int setup = (setupSects + 1) * 512;
        ByteBuffer b = ByteBuffer.allocate(setup + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x1f1, (byte) setupSects);
        b.putInt(0x1f4, (payload.length + 15) / 16);
        b.putShort(0x1fe, (short) 0xAA55);
        b.put(0x200, (byte) 0xEB).put(0x201, (byte) 0x6A);   // jmp: the header ends at 0x26c
        b.putInt(0x202, SetupHeader.MAGIC);
        b.putShort(0x206, (short) version);
        b.put(0x211, (byte) SetupHeader.LOADED_HIGH);
        b.putInt(0x214, 0x100000);
        b.putInt(0x22c, 0x7fffffff);
        b.putInt(0x230, 0x200000);
        b.put(0x234, (byte) 1);
        b.putShort(0x236, (short) xloadflags);
        b.putInt(0x238, 2047);
        b.putLong(0x258, prefAddress);
        b.putInt(0x260, (int) initSize);
        b.position(setup);
        b.put(payload);
        return b.array();
    }

    /** A protocol-2.15 bzImage with the 64-bit entry, init_size 8 MiB at pref_address 16 MiB. */
    public static byte[] bzImage64(byte[] payload) {
        return bzImage(0x020f, SetupHeader.XLF_KERNEL_64, 8 << 20, 0x1000000, payload);
    }

    /**
     * An ELF file with one PT_LOAD of {@code payload} at {@code paddr} (virtual address {@code vaddr}), {@code bss}
     * zero bytes after it, entry {@code entry}, and when {@code noteType} is not 0 a PT_NOTE with one note of
     * owner "Xen" and that type whose descriptor is {@code noteDesc}.
     */
    public static byte[] elf(boolean is64, long vaddr, long paddr, byte[] payload, int bss, long entry, int noteType,
            byte[] noteDesc) {
        int ehsize = is64 ? 64 : 52;
        int phsize = is64 ? 56 : 32;
        int phnum = noteType != 0 ? 2 : 1;
        int noteOffset = ehsize + phnum * phsize;
        int noteSize = noteType != 0 ? 12 + 4 + ((noteDesc.length + 3) & ~3) : 0;
        int payloadOffset = (noteOffset + noteSize + 15) & ~15;
        ByteBuffer b = ByteBuffer.allocate(payloadOffset + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0x464C457F);
        b.put(4, (byte) (is64 ? 2 : 1)).put(5, (byte) 1).put(6, (byte) 1);
        b.putShort(16, (short) 2).putShort(18, (short) (is64 ? 62 : 3)).putInt(20, 1);
        if (is64) {
            b.putLong(24, entry).putLong(32, ehsize).putShort(52, (short) ehsize).putShort(54, (short) phsize)
                    .putShort(56, (short) phnum);
        } else {
            b.putInt(24, (int) entry).putInt(28, ehsize).putShort(40, (short) ehsize).putShort(42, (short) phsize)
                    .putShort(44, (short) phnum);
        }
        putPhdr(b, is64, ehsize, 1, payloadOffset, vaddr, paddr, payload.length, payload.length + bss);
        if (noteType != 0) {
            putPhdr(b, is64, ehsize + phsize, 4, noteOffset, 0, 0, noteSize, noteSize);
            b.putInt(noteOffset, 4).putInt(noteOffset + 4, noteDesc.length).putInt(noteOffset + 8, noteType);
            b.put(noteOffset + 12, new byte[] {'X', 'e', 'n', 0});
            b.put(noteOffset + 16, noteDesc);
        }
        b.put(payloadOffset, payload);
        return b.array();
    }

    /** An ELF64 vmlinux-like image: linked at 0xffffffff81000000, loaded at {@code paddr}, PVH entry {@code pvh}. */
    public static byte[] pvhElf(long paddr, byte[] payload, int bss, long pvh) {
        byte[] desc = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, (int) pvh).array();
        return elf(true, 0xffffffff81000000L, paddr, payload, bss, 0xffffffff81000000L,
                PvhBoot.XEN_ELFNOTE_PHYS32_ENTRY, desc);
    }

    /** A multiboot header (flags without bit 16) for the start of a payload. */
    public static byte[] multibootHeader(int flags) {
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        return b.putInt(MultibootHeader.MAGIC).putInt(flags).putInt(-(MultibootHeader.MAGIC + flags)).array();
    }

    /**
     * A flat a.out-kludge multiboot kernel: {@code body} loaded at {@code loadAddr} with the 32-byte header first,
     * {@code bss} bytes of bss after it, entry at {@code loadAddr + entryOffset}.
     */
    public static byte[] aout(long loadAddr, byte[] body, int bss, int entryOffset) {
        int flags = 0x00010003;
        ByteBuffer b = ByteBuffer.allocate(32 + body.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MultibootHeader.MAGIC).putInt(flags).putInt(-(MultibootHeader.MAGIC + flags));
        long end = loadAddr + 32 + body.length;
        b.putInt((int) loadAddr).putInt((int) loadAddr).putInt((int) end).putInt((int) (end + bss))
                .putInt((int) (loadAddr + entryOffset));
        b.put(body);
        return b.array();
    }

    /** {@code n} bytes of a pattern that differs from zero everywhere. */
    public static byte[] pattern(int n, int seed) {
        byte[] p = new byte[n];
        for (int i = 0; i < n; i++) {
            p[i] = (byte) (((i * 131 + seed) % 251) + 1);
        }
        return p;
    }

    private static void putPhdr(ByteBuffer b, boolean is64, int at, int type, long offset, long vaddr, long paddr,
            long filesz, long memsz) {
        if (is64) {
            b.putInt(at, type).putInt(at + 4, 7).putLong(at + 8, offset).putLong(at + 16, vaddr)
                    .putLong(at + 24, paddr).putLong(at + 32, filesz).putLong(at + 40, memsz).putLong(at + 48, 16);
        } else {
            b.putInt(at, type).putInt(at + 4, (int) offset).putInt(at + 8, (int) vaddr).putInt(at + 12, (int) paddr)
                    .putInt(at + 16, (int) filesz).putInt(at + 20, (int) memsz).putInt(at + 24, 7)
                    .putInt(at + 28, 16);
        }
    }
}
