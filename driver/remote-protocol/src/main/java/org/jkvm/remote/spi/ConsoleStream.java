package org.jkvm.remote.spi;

/**
 * The driver's side of an open console: input from the client, and the end of the stream. Returned by
 * {@link DriverConnection#openConsole}; the server calls it from its reading thread, so it must not block long.
 */
public interface ConsoleStream {
    /** Bytes the client typed (a STREAM CONTINUE packet from the client). */
    void write(byte[] data);

    /**
     * The stream is over: the client finished it (Ctrl-] in virsh), aborted it, or disconnected. Called once;
     * the driver stops writing to the {@link StreamSink}.
     */
    void close();
}
