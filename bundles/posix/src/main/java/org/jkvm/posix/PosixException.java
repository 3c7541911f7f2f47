package org.jkvm.posix;

/** A system call failed; the message is one sentence saying what failed, why (the kernel's words) and what to do. */
public final class PosixException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message the sentence */
    public PosixException(String message) {
        super(message);
    }
}
