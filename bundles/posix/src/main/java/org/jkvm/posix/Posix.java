package org.jkvm.posix;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The few libc calls of the engine process outside KVM, bound by JNA direct mapping ({@link Native#register}): a
 * call costs one JNI transition and allocates nothing for primitive arguments.
 *
 * <p>The raw calls return libc's result (-1 on failure, errno then in {@link #lastErrno()}, read right after the
 * call on the same thread). Thread-safe: errno is per thread and JNA keeps it per thread. x86-64 Linux only (the
 * syscall numbers are that ABI's).
 */
public final class Posix {
    /** {@code open(2)} flag: read only. */
    public static final int O_RDONLY = 0;
    /** {@code open(2)} flag: write only. */
    public static final int O_WRONLY = 0x1;
    /** {@code open(2)} flag: every write goes to the end of the file. */
    public static final int O_APPEND = 0x400;
    /** {@code open(2)} flag: close on exec, so children do not inherit the descriptor. */
    public static final int O_CLOEXEC = 0x80000;

    /** x86-64 {@code gettid(2)}. */
    private static final long SYS_GETTID = 186;
    /** x86-64 {@code setpriority(2)}; with {@code PRIO_PROCESS} and a thread id it sets that thread's nice value. */
    private static final long SYS_SETPRIORITY = 141;
    /** x86-64 {@code getpriority(2)}; the raw call returns 20 - nice (1-40), never negative. */
    private static final long SYS_GETPRIORITY = 140;
    private static final long PRIO_PROCESS = 0;
    /** x86-64 {@code sched_setscheduler(2)}; with a thread id it sets that thread's policy. */
    private static final long SYS_SCHED_SETSCHEDULER = 144;
    /** {@code sched_setscheduler(2)} policy: the normal time-sharing one (priority 0). */
    public static final int SCHED_OTHER = 0;
    /** {@code sched_setscheduler(2)} policy: real-time first in, first out (priority 1-99). */
    public static final int SCHED_FIFO = 1;

    static {
        Native.register(Posix.class, "c");
    }

    private Posix() {
    }

    /** {@code open(2)}; returns a file descriptor or -1. */
    public static native int open(String path, int flags);

    /** {@code dup2(2)}: makes {@code newfd} a copy of {@code oldfd}; returns {@code newfd} or -1. */
    public static native int dup2(int oldfd, int newfd);

    /** {@code close(2)}; returns 0 or -1. */
    public static native int close(int fd);

    /** {@code strerror(3)}: the text of an errno value. */
    public static native String strerror(int errno);

    private static native long syscall(long number, long a1, long a2, long a3);

    /** errno of the last failed call on this thread; call only right after a -1 return. */
    public static int lastErrno() {
        return Native.getLastError();
    }

    /** The Linux thread id of the calling thread ({@code gettid(2)}), as {@code ps -L} and QEMU's monitor show. */
    public static int gettid() {
        return (int) syscall(SYS_GETTID, 0, 0, 0);
    }

    /**
     * Sets the nice value of one thread of this process ({@code setpriority(PRIO_PROCESS, tid, nice)}: Linux
     * schedules threads as tasks, so this affects that thread only).
     *
     * @param tid  a thread id from {@link #gettid()}
     * @param nice -20 (first) to 19 (last); raising priority needs privileges
     * @return false when the kernel refused (the errno is in {@link #lastErrno()})
     */
    public static boolean setThreadNice(int tid, int nice) {
        return syscall(SYS_SETPRIORITY, PRIO_PROCESS, tid, nice) == 0;
    }

    /**
     * The nice value of one thread of this process ({@code getpriority(PRIO_PROCESS, tid)}).
     *
     * @param tid a thread id from {@link #gettid()}
     * @return -20 (first) to 19 (last), or 0 when the kernel refused
     */
    public static int threadNice(int tid) {
        long r = syscall(SYS_GETPRIORITY, PRIO_PROCESS, tid, 0);
        return r < 0 ? 0 : 20 - (int) r;
    }

    /**
     * Sets the scheduling policy of one thread of this process ({@code sched_setscheduler(tid, policy, &param)}).
     *
     * @param tid      a thread id from {@link #gettid()}
     * @param policy   {@link #SCHED_OTHER} (priority 0) or {@link #SCHED_FIFO} (priority 1-99, needs privileges:
     *                 CAP_SYS_NICE or an RLIMIT_RTPRIO)
     * @param priority the static priority for the policy
     * @return false when the kernel refused (the errno is in {@link #lastErrno()})
     */
    public static boolean setThreadScheduler(int tid, int policy, int priority) {
        Memory param = new Memory(4); // struct sched_param { int sched_priority; }
        param.setInt(0, priority);
        try {
            return syscall(SYS_SCHED_SETSCHEDULER, tid, policy, Pointer.nativeValue(param)) == 0;
        } finally {
            param.close();
        }
    }
}
