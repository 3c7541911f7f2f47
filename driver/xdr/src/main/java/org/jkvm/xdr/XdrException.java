package org.jkvm.xdr;

/**
 * Malformed XDR input: a truncated item, a length beyond its bound, or an invalid value.
 *
 * <p>The one unchecked exception of the XDR layer. Its message names the field and the values involved.
 */
public final class XdrException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message one sentence naming what was wrong
     */
    public XdrException(String message) {
        super(message);
    }
}
