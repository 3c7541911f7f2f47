package org.jkvm.driver.qmp;

/**
 * A failure talking QMP to an engine: the socket could not be reached, the engine closed it, sent malformed
 * JSON, or answered a command with an error. The message is one sentence naming what failed.
 */
public class QmpException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The QMP error class (e.g. {@code GenericError}) when the engine answered with an error, else null. */
    private final String errorClass;

    /** Creates an exception with a message. */
    public QmpException(String message) {
        this(message, null, null);
    }

    /** Creates an exception with a message and a cause. */
    public QmpException(String message, Throwable cause) {
        this(message, null, cause);
    }

    /** Creates an exception for an engine error reply of the given QMP class. */
    public QmpException(String message, String errorClass, Throwable cause) {
        super(message, cause);
        this.errorClass = errorClass;
    }

    /** The QMP error class of an error reply, or null when the failure was not an error reply. */
    public String errorClass() {
        return errorClass;
    }
}
