package org.jkvm.hypervisor;

/** A failure of a hypervisor backend; the message is one sentence that says what failed and what to do. */
public class HypervisorException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message the sentence for the user */
    public HypervisorException(String message) {
        super(message);
    }

    /**
     * @param message the sentence for the user
     * @param cause   the underlying failure (its text is not repeated in {@code message})
     */
    public HypervisorException(String message, Throwable cause) {
        super(message, cause);
    }
}
