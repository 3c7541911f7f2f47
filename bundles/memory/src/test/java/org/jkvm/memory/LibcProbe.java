package org.jkvm.memory;

import com.sun.jna.Native;

/**
 * Test-only libc calls to poke at guest RAM the way the kernel or a balloon would (madvise, fallocate, mincore, fstat).
 */
final class LibcProbe {
    static final int MADV_DONTNEED = 4;
    static final int MADV_REMOVE = 9;
    static final int FALLOC_FL_KEEP_SIZE = 0x01;
    static final int FALLOC_FL_PUNCH_HOLE = 0x02;

    static {
        Native.register(LibcProbe.class, "c");
    }

    private LibcProbe() {
    }

    static native int madvise(long addr, long length, int advice);

    static native int fallocate(int fd, int mode, long offset, long length);

    static native int mincore(long addr, long length, byte[] vec);

    static native int fstat(int fd, byte[] statBuffer);

    /** The bytes the file {@code fd} has allocated ({@code st_blocks} * 512, from the x86-64 {@code struct stat}). */
    static long allocatedBytes(int fd) {
        byte[] st = new byte[144];
        if (fstat(fd, st) != 0) {
            throw new IllegalStateException("fstat failed: " + Mman.lastError());
        }
        return java.nio.ByteBuffer.wrap(st).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(64) * 512;
    }

    /** Whether mincore reports page {@code page} of the mapping at {@code hva} as resident. */
    static boolean resident(long hva, long page) {
        byte[] vec = new byte[1];
        if (mincore(hva + page * GuestMemory.PAGE_SIZE, GuestMemory.PAGE_SIZE, vec) != 0) {
            throw new IllegalStateException("mincore failed: " + Mman.lastError());
        }
        return (vec[0] & 1) != 0;
    }
}
