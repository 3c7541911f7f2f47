package org.jkvm.migration.stream;

/**
 * The one unchecked exception of the stream codec: a stream that is corrupt, truncated in a record, of another
 * format or version, or larger than its caps. The message is one sentence naming the record (and its offset where
 * known) and what to do; the migration reports it as the reason the job failed.
 */
public final class StreamException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message one sentence naming what is wrong with the stream */
    public StreamException(String message) {
        super(message);
    }

    /** @param message one sentence; {@code cause} is chained, not repeated */
    public StreamException(String message, Throwable cause) {
        super(message, cause);
    }
}
