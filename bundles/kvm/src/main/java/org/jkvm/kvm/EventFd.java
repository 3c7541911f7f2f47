package org.jkvm.kvm;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * A Linux eventfd: a 64-bit counter the kernel can wait on (for {@code KVM_IRQFD} and ioeventfd).
 *
 * <p>Owns one file descriptor. {@link #signal()} and {@link #consume()} are thread-safe.
 */
public final class EventFd implements AutoCloseable {
    private final int fd;
    private final ThreadLocal<Memory> word = ThreadLocal.withInitial(() -> new Memory(8));
    private volatile boolean closed;

    /**
     * Creates an eventfd with close-on-exec.
     *
     * @param nonBlocking whether {@link #consume()} returns 0 instead of blocking when the counter is 0
     */
    public EventFd(boolean nonBlocking) {
        int flags = LibC.EFD_CLOEXEC | (nonBlocking ? LibC.EFD_NONBLOCK : 0);
        this.fd = LibC.check(LibC.eventfd(0, flags), "eventfd");
    }

    /** The raw file descriptor (owned by this object). */
    public int fd() {
        return fd;
    }

    /** Adds 1 to the counter, waking a waiter (the kernel injects the interrupt for an irqfd). */
    public void signal() {
        Memory m = word.get();
        m.setLong(0, 1L);
        LibC.check(LibC.write(fd, Pointer.nativeValue(m), 8), "write(eventfd)");
    }

    /** Reads and resets the counter; 0 when non-blocking and nothing was signalled. */
    public long consume() {
        Memory m = word.get();
        long r = LibC.read(fd, Pointer.nativeValue(m), 8);
        if (r < 0) {
            int errno = LibC.lastErrno();
            if (errno == LibC.EAGAIN) {
                return 0;
            }
            throw new KvmException("read(eventfd)", errno);
        }
        return m.getLong(0);
    }

    /** Closes the fd; idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            LibC.close(fd);
        }
    }
}
