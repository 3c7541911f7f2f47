package org.jkvm.kvm;

import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * Interrupts a thread blocked in {@code KVM_RUN}: a real-time signal with a handler that does nothing, sent with
 * {@code tgkill}, makes the ioctl return EINTR (the way QEMU's SIG_IPI does). Combined with {@code immediate_exit}
 * in {@link VcpuFd#kick()} it cannot be lost: a signal that arrives before the thread enters the guest is
 * replaced by {@code immediate_exit}, which the kernel checks on entry.
 *
 * <p>The signal is {@link #KICK_SIGNAL} (SIGRTMIN+6 under glibc). Its handler is installed once per process, and
 * only if nothing else handles that signal. Thread-safe.
 */
public final class VcpuKick {
    /** The signal number used to kick vCPU threads. */
    public static final int KICK_SIGNAL = 40;

    private static final long SYS_GETTID = 186;
    private static final long SYS_TGKILL = 234;
    private static final int ESRCH = 3;
    private static final int SIGACTION_SIZE = 152;
    private static boolean installed;

    private VcpuKick() {
    }

    /** The Linux thread id of the calling thread. */
    public static int currentThreadId() {
        return (int) LibC.syscall(SYS_GETTID, 0, 0, 0);
    }

    /**
     * Installs the no-op handler for {@link #KICK_SIGNAL} if it is not yet installed.
     *
     * @throws KvmException when another component already handles that signal
     */
    public static synchronized void install() {
        if (installed) {
            return;
        }
        try (Memory act = new Memory(SIGACTION_SIZE); Memory old = new Memory(SIGACTION_SIZE)) {
            act.clear();
            old.clear();
            LibC.check(LibC.sigaction(KICK_SIGNAL, 0, Pointer.nativeValue(old)), "sigaction");
            if (old.getLong(0) != 0) {
                throw new KvmException("sigaction", 0, "signal " + KICK_SIGNAL + " already has a handler, so it "
                        + "cannot be used to kick vCPU threads; remove the other handler (e.g. a JVM -Xrs option)");
            }
            // The handler must only return: getpid is async-signal-safe and ignores the signal number argument.
            long handler = Pointer.nativeValue(NativeLibrary.getInstance("c").getFunction("getpid"));
            act.setLong(0, handler); // sa_handler; sa_mask (8..135) empty; sa_flags (136) 0: no SA_RESTART
            LibC.check(LibC.sigaction(KICK_SIGNAL, Pointer.nativeValue(act), 0), "sigaction");
        }
        installed = true;
    }

    /**
     * Sends {@link #KICK_SIGNAL} to thread {@code tid} of this process.
     *
     * @return false when the thread no longer exists
     */
    public static boolean signal(int tid) {
        long r = LibC.syscall(SYS_TGKILL, LibC.getpid(), tid, KICK_SIGNAL);
        if (r < 0) {
            int errno = LibC.lastErrno();
            if (errno == ESRCH) {
                return false;
            }
            throw new KvmException("tgkill", errno);
        }
        return true;
    }
}
