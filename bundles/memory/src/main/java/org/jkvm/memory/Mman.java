package org.jkvm.memory;

import com.sun.jna.Native;

/**
 * The memory module's own libc binding (memfd, mmap, lseek, fallocate, madvise, strerror), JNA direct-mapped. Kept
 * apart from the KVM module's binding so guest memory does not depend on KVM.
 */
final class Mman {
    static final int PROT_READ = 0x1;
    static final int PROT_WRITE = 0x2;
    static final int MAP_SHARED = 0x01;
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_NORESERVE = 0x4000;
    static final int MFD_CLOEXEC = 0x1;
    static final int SEEK_DATA = 3;
    static final int SEEK_HOLE = 4;
    static final int ENXIO = 6;
    /** Linux 5.14+: fault the range in, writable, as a write would (EINVAL on older kernels). */
    static final int MADV_POPULATE_WRITE = 23;
    /** The child of a fork does not get the range (QEMU marks guest RAM so, too). */
    static final int MADV_DONTFORK = 10;

    static {
        Native.register(Mman.class, "c");
    }

    private Mman() {
    }

    static native long mmap(long addr, long length, int prot, int flags, int fd, long offset);

    static native int munmap(long addr, long length);

    static native int memfd_create(String name, int flags);

    static native int ftruncate(int fd, long length);

    static native long lseek(int fd, long offset, int whence);

    static native int fallocate(int fd, int mode, long offset, long length);

    static native int madvise(long addr, long length, int advice);

    static native int close(int fd);

    static native String strerror(int errno);

    /** errno after a failed call, as "text (errno N)". */
    static String lastError() {
        int errno = Native.getLastError();
        return strerror(errno) + " (errno " + errno + ")";
    }
}
