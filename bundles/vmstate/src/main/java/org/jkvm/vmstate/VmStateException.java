package org.jkvm.vmstate;

/**
 * The one unchecked exception of the state layer: a section that cannot be encoded, decoded or applied, or a
 * VM operation the state SPI cannot do now (e.g. saving state while running). The message is one sentence that
 * names the section and says what to do.
 */
public final class VmStateException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message one sentence naming what failed and what to do */
    public VmStateException(String message) {
        super(message);
    }

    /** @param message one sentence; {@code cause} is chained, not repeated */
    public VmStateException(String message, Throwable cause) {
        super(message, cause);
    }
}
