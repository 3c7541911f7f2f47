package org.jkvm.kvm;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The few libc calls the KVM layer needs, bound by JNA direct mapping ({@link Native#register}), so a call costs
 * one JNI transition and allocates nothing when its arguments are primitives.
 *
 * <p>Every method returns the raw libc result; -1 (or {@code MAP_FAILED}) means failure and errno is then read by
 * {@link #check(int, String)}, the one place that calls {@link Native#getLastError()}. Thread-safe (errno is
 * per-thread and JNA preserves it per thread).
 */
public final class LibC {
    /** {@code open(2)} flag: read and write. */
    public static final int O_RDWR = 0x2;
    /** {@code open(2)} flag: write only. */
    public static final int O_WRONLY = 0x1;
    /** {@code open(2)} flag: every write goes to the end of the file. */
    public static final int O_APPEND = 0x400;
    /** {@code open(2)} flag: close on exec, so engine children do not inherit KVM descriptors. */
    public static final int O_CLOEXEC = 0x80000;
    /** {@code mmap(2)} protection: readable. */
    public static final int PROT_READ = 0x1;
    /** {@code mmap(2)} protection: writable. */
    public static final int PROT_WRITE = 0x2;
    /** {@code mmap(2)} flag: shared mapping. */
    public static final int MAP_SHARED = 0x01;
    /** {@code eventfd(2)} flag: close on exec. */
    public static final int EFD_CLOEXEC = 0x80000;
    /** {@code eventfd(2)} flag: non-blocking reads. */
    public static final int EFD_NONBLOCK = 0x800;
    /** errno: interrupted system call (KVM_RUN with a pending signal or {@code immediate_exit}). */
    public static final int EINTR = 4;
    /** errno: try again. */
    public static final int EAGAIN = 11;
    /** errno: permission denied. */
    public static final int EACCES = 13;
    /** errno: no such file or directory. */
    public static final int ENOENT = 2;
    /** errno: no such device (module not loaded). */
    public static final int ENODEV = 19;
    /** errno: invalid argument. */
    public static final int EINVAL = 22;

    static {
        Native.register(LibC.class, "c");
    }

    private LibC() {
    }

    /** {@code open(2)}; returns a file descriptor or -1. */
    public static native int open(String path, int flags);

    /** {@code dup2(2)}: makes {@code newfd} a copy of {@code oldfd}; returns {@code newfd} or -1. */
    public static native int dup2(int oldfd, int newfd);

    /** {@code close(2)}; returns 0 or -1. */
    public static native int close(int fd);

    /** {@code mmap(2)} at any address; returns the address or -1 ({@code MAP_FAILED}). */
    public static native long mmap(long addr, long length, int prot, int flags, int fd, long offset);

    /** {@code munmap(2)}; returns 0 or -1. */
    public static native int munmap(long addr, long length);

    /** {@code ioctl(2)} with an integer argument (or none: pass 0). */
    public static native int ioctl(int fd, long request, int arg);

    /** {@code ioctl(2)} with a long argument, typically the native address of a uapi struct. */
    public static native int ioctl(int fd, long request, long arg);

    /** {@code ioctl(2)} with a pointer to a uapi struct. */
    public static native int ioctl(int fd, long request, Pointer arg);

    /** {@code eventfd(2)}; returns a file descriptor or -1. */
    public static native int eventfd(int initval, int flags);

    /** {@code read(2)} into native memory; returns the byte count or -1. */
    public static native long read(int fd, long buf, long count);

    /** {@code write(2)} from native memory; returns the byte count or -1. */
    public static native long write(int fd, long buf, long count);

    /** {@code syscall(2)} with up to three arguments (unused ones are ignored by the kernel). */
    public static native long syscall(long number, long a1, long a2, long a3);

    /** {@code getpid(2)}. */
    public static native int getpid();

    /** {@code sigaction(2)} (glibc layout of {@code struct sigaction}, 152 bytes on x86-64). */
    public static native int sigaction(int signum, long act, long oldact);

    /** {@code strerror(3)}: the text of an errno value. */
    public static native String strerror(int errno);

    /** errno of the last failed call on this thread. Call only right after a -1 return. */
    public static int lastErrno() {
        return Native.getLastError();
    }

    /**
     * Returns {@code result} unless it is negative, in which case reads errno and throws.
     *
     * @param result the raw return value of a libc call
     * @param what   the ioctl or call name for the message, e.g. {@code "KVM_CREATE_VM"}
     * @return {@code result}
     * @throws KvmException carrying {@code what} and errno
     */
    public static int check(int result, String what) {
        if (result < 0) {
            throw new KvmException(what, Native.getLastError());
        }
        return result;
    }

    /** As {@link #check(int, String)} for calls returning a long ({@code mmap} returns -1 on failure). */
    public static long check(long result, String what) {
        if (result == -1L) {
            throw new KvmException(what, Native.getLastError());
        }
        return result;
    }
}
