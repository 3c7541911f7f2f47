package org.jkvm.migration.transport;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * One end of an established migration channel. On the source, {@link #out()} carries the stream and
 * {@link #in()} the return path; on the destination it is the other way round. A transport with no return path
 * (exec) has {@code null} for the missing direction.
 *
 * <p>{@link #close()} may be called from another thread to abort a blocked read or write (cancel).
 */
public interface Connection extends Closeable {
    /** The channel this end writes to, or null when this end has nothing to write. */
    WritableByteChannel out();

    /** The channel this end reads from, or null when this end has nothing to read. */
    ReadableByteChannel in();

    /** Whether a return path exists (tcp, unix), so the source waits for the destination's replies. */
    boolean hasReturnPath();

    /**
     * Ends the sending side cleanly once everything is written: for exec, closes the command's stdin and waits
     * for it to exit with status 0. A no-op for sockets.
     *
     * @throws IOException naming the command and its exit status (and the end of its stderr) on failure
     */
    default void finishSending(long timeoutMs) throws IOException {
    }

    /**
     * Extra facts for an error message, e.g. {@code " (exit status 1, stderr: gzip: F: No such file)"} for an exec
     * command; empty for sockets.
     */
    default String diagnostics() {
        return "";
    }

    /** What this connects to, for messages (e.g. {@code tcp:127.0.0.1:4444}). */
    String describe();

    /** Closes both directions; idempotent. */
    @Override
    void close();
}
