package org.jkvm.block;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The libc calls of the image layer, bound by JNA direct mapping ({@link Native#register}): one JNI transition per
 * call, nothing allocated for primitive arguments. Buffers are passed as native addresses ({@code long}), which is
 * what a pointer is on x86-64 Linux, the only platform (the flag values below are that ABI's).
 *
 * <p>Calls return libc's result; after -1, {@link #errno()} on the same thread gives the reason. Thread-safe.
 */
final class LibC {
    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_CREAT = 0x40;
    static final int O_EXCL = 0x80;
    static final int O_DSYNC = 0x1000;
    static final int O_DIRECT = 0x4000;
    static final int O_CLOEXEC = 0x80000;

    static final int SEEK_SET = 0;
    static final int SEEK_END = 2;

    /** fcntl(2): open file description locks (Linux 3.15), which belong to the open file, not the process. */
    static final int F_OFD_GETLK = 36;
    static final int F_OFD_SETLK = 37;
    static final short F_RDLCK = 0;
    static final short F_WRLCK = 1;
    static final short F_UNLCK = 2;

    static final int FALLOC_FL_KEEP_SIZE = 0x01;
    static final int FALLOC_FL_PUNCH_HOLE = 0x02;

    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int EACCES = 13;
    static final int EINVAL = 22;

    static {
        Native.register(LibC.class, "c");
    }

    private LibC() {
    }

    static native int open(String path, int flags, int mode);

    static native int close(int fd);

    static native long pread(int fd, long buf, long count, long offset);

    static native long pwrite(int fd, long buf, long count, long offset);

    static native int fdatasync(int fd);

    static native long lseek(int fd, long offset, int whence);

    static native int fallocate(int fd, int mode, long offset, long len);

    /** fcntl(2) with a {@code struct flock *} argument (variadic in C; one pointer is ABI-compatible). */
    static native int fcntl(int fd, int cmd, Pointer flock);

    static native String strerror(int errno);

    /** errno of the last failed call on this thread. */
    static int errno() {
        return Native.getLastError();
    }

    /** The text of the last error on this thread, for messages. */
    static String lastError() {
        return strerror(errno());
    }
}
