package org.jkvm.hypervisor;

/**
 * The backend cannot run on this host at all (e.g. no {@code /dev/kvm}); a caller with a fallback list
 * ({@code -machine accel=kvm:tcg}) tries the next one. The message says why and what to do.
 */
public class HypervisorUnavailableException extends HypervisorException {
    private static final long serialVersionUID = 1L;

    /** @param message the sentence for the user */
    public HypervisorUnavailableException(String message) {
        super(message);
    }

    /**
     * @param message the sentence for the user
     * @param cause   the underlying failure
     */
    public HypervisorUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
