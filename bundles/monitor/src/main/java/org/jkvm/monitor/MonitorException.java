package org.jkvm.monitor;

/** A monitor command that cannot be run; the message is shown to the user as is (QMP "desc"). */
public final class MonitorException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String errorClass;

    /**
     * @param errorClass the QMP error class, e.g. {@code GenericError} or {@code CommandNotFound}
     * @param message    one sentence
     */
    public MonitorException(String errorClass, String message) {
        super(message);
        this.errorClass = errorClass;
    }

    /** The QMP error class. */
    public String errorClass() {
        return errorClass;
    }
}
