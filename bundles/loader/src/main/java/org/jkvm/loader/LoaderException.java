package org.jkvm.loader;

/** An image or boot set-up that cannot be loaded; the message is one sentence naming the file and the fault. */
public final class LoaderException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message one sentence naming what failed and what to do */
    public LoaderException(String message) {
        super(message);
    }

    /** @param message one sentence; {@code cause} is chained, not repeated */
    public LoaderException(String message, Throwable cause) {
        super(message, cause);
    }
}
