package org.jkvm.firmware;

/** The one unchecked exception of the firmware bundle: the image is missing or cannot be written out. */
public final class FirmwareException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message one sentence saying what failed and what to do
     * @param cause   the underlying failure, or null
     */
    public FirmwareException(String message, Throwable cause) {
        super(message, cause);
    }
}
