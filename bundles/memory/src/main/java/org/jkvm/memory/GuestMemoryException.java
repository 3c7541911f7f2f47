package org.jkvm.memory;

/** A guest-memory access that cannot be done, e.g. an address outside RAM. The message names the address. */
public final class GuestMemoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message one sentence naming the address and what was wrong */
    public GuestMemoryException(String message) {
        super(message);
    }

    /** @param message one sentence; {@code cause} is chained, not repeated */
    public GuestMemoryException(String message, Throwable cause) {
        super(message, cause);
    }
}
