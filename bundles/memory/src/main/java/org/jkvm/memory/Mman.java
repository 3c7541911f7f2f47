package org.jkvm.memory;

import com.sun.jna.Native;

/**
 * The memory module's own libc binding (mmap, munmap, madvise), JNA direct-mapped. Kept apart from the KVM
 * module's binding so guest memory does not depend on KVM.
 */
final class Mman {
    static final int PROT_READ = 0x1;
    static final int PROT_WRITE = 0x2;
    static final int MAP_SHARED = 0x01;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_NORESERVE = 0x4000;
    /** madvise: free the pages (anonymous shared memory reads back as zero). */
    static final int MADV_REMOVE = 9;
    /** madvise: ask for transparent huge pages. */
    static final int MADV_HUGEPAGE = 14;

    static {
        Native.register(Mman.class, "c");
    }

    private Mman() {
    }

    static native long mmap(long addr, long length, int prot, int flags, int fd, long offset);

    static native int munmap(long addr, long length);

    static native int madvise(long addr, long length, int advice);

    static native String strerror(int errno);

    /** errno after a failed call, as "text (errno N)". */
    static String lastError() {
        int errno = Native.getLastError();
        return strerror(errno) + " (errno " + errno + ")";
    }
}
