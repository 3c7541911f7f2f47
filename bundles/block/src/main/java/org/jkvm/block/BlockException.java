package org.jkvm.block;

/**
 * The one exception of the disk image layer: unchecked, its message one sentence that says what failed (with the
 * path, offsets and sizes) and what to do. The {@link Kind} lets a caller choose a reaction without parsing text:
 * a virtio-blk device answers {@link Kind#IO} with an I/O error status, the engine reports {@link Kind#LOCKED} at
 * start-up, and so on. The cause, when there is one, is chained and its text is not repeated.
 */
public final class BlockException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What kind of failure this is. */
    public enum Kind {
        /** A system call on the image failed (read, write, flush, open): errno is in the message. */
        IO,
        /** The image's metadata is inconsistent or truncated; nothing was written to it because of that. */
        CORRUPT,
        /** The image uses a format feature jkvm does not implement (encryption, external data file, ...). */
        UNSUPPORTED,
        /** Another process holds the image in a way that excludes this use (QEMU's lock bytes). */
        LOCKED,
        /** The caller asked for something the image cannot do: out of range, write to read-only, inactive. */
        INVALID_REQUEST
    }

    private final Kind kind;

    /** A failure of kind {@code kind} with a one-sentence message. */
    public BlockException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    /** A failure of kind {@code kind} with a one-sentence message and its cause. */
    public BlockException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    /** What kind of failure this is. */
    public Kind kind() {
        return kind;
    }
}
