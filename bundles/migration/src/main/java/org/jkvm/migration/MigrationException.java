package org.jkvm.migration;

/**
 * The one unchecked exception of the migration layer: a URI that cannot be used, a transport that failed, a
 * stream the destination refuses. The message is one sentence saying what failed and what to do; it is what
 * {@code info migrate} shows as the error.
 */
public final class MigrationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message one sentence naming what failed and what to do */
    public MigrationException(String message) {
        super(message);
    }

    /** @param message one sentence; {@code cause} is chained, not repeated */
    public MigrationException(String message, Throwable cause) {
        super(message, cause);
    }
}
