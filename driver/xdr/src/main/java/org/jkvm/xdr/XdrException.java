package org.jkvm.xdr;

/**
 * Malformed XDR input: a truncated item, a length beyond its bound, or an invalid value.
 *
 * <p>The one unchecked exception of the XDR layer. Its message names the field and the values involved.
 */
public final class XdrException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final boolean encoding;

    /**
     * Creates a decoding error (malformed input).
     *
     * @param message one sentence naming what was wrong
     */
    public XdrException(String message) {
        this(message, false);
    }

    /**
     * Creates the exception.
     *
     * @param message  one sentence naming what was wrong
     * @param encoding true when a value to be written broke a bound (our output, not the peer's input, is at fault)
     */
    public XdrException(String message, boolean encoding) {
        super(message);
        this.encoding = encoding;
    }

    /** True for an encoding error (a value too large to write), false for malformed input. */
    public boolean encoding() {
        return encoding;
    }
}
