package org.jkvm.engine.vcpu;

import com.sun.jna.Native;

/**
 * Interrupts a thread blocked in {@code KVM_RUN}: {@code pthread_kill} with SIGPIPE.
 *
 * <p>KVM_RUN returns EINTR when a signal is pending for the calling thread. The JVM already installs a
 * SIGPIPE handler that ignores the signal (HotSpot does so to keep writes to closed sockets from killing the
 * process), so the kick reaches KVM without our own native signal handler and without side effects. Callers set
 * {@code kvm_run.immediate_exit} first, so a kick that arrives outside KVM_RUN is not lost.
 */
final class ThreadKick {
    /** Linux x86-64 SIGPIPE. */
    static final int SIGPIPE = 13;

    static {
        Native.register(ThreadKick.class, "c");
    }

    private ThreadKick() {
    }

    /** The calling thread's pthread_t. */
    static native long pthread_self();

    /** Sends {@code sig} to thread {@code thread}; returns 0 or an errno value. */
    static native int pthread_kill(long thread, int sig);
}
