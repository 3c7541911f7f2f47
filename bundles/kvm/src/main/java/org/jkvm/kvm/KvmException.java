package org.jkvm.kvm;

/**
 * A KVM ioctl or libc call failed. The only exception type of the KVM layer (unchecked).
 *
 * <p>The message names the call and the system error, e.g. "KVM_CREATE_VM failed: Cannot allocate memory
 * (errno 12)"; callers add what they were doing and chain this as the cause.
 */
public class KvmException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    /**
     * @param call  the ioctl name as in linux/kvm.h (or the libc call)
     * @param errno the errno value, positive
     */
    public KvmException(String call, int errno) {
        super(call + " failed: " + describe(errno));
        this.call = call;
        this.errno = errno;
    }

    /**
     * For failures that are not a single errno (short counts, bad arguments).
     *
     * @param call    the ioctl or call name
     * @param errno   the errno value, or 0 when there is none
     * @param message one sentence saying what failed and what to do
     */
    public KvmException(String call, int errno, String message) {
        super(message);
        this.call = call;
        this.errno = errno;
    }

    /** The ioctl name (e.g. {@code KVM_RUN}) or libc call that failed. */
    public String call() {
        return call;
    }

    /** The errno value, or 0 when the failure was not an errno. */
    public int errno() {
        return errno;
    }

    /** "strerror text (errno N)", tolerant of a libc that cannot be loaded. */
    static String describe(int errno) {
        String text;
        try {
            text = LibC.strerror(errno);
        } catch (LinkageError e) {
            text = null;
        }
        return (text == null ? "error" : text) + " (errno " + errno + ")";
    }
}
