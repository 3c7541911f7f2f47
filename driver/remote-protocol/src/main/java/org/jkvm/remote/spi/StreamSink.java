package org.jkvm.remote.spi;

import org.jkvm.remote.LibvirtError;

/**
 * Where a driver writes the server-to-client side of a stream (a console's output). The RPC server sends each
 * call as STREAM packets carrying the opening call's procedure and serial. Thread-safe; after {@link #end} or
 * {@link #error} further calls are ignored.
 */
public interface StreamSink {
    /**
     * Sends bytes to the client (status CONTINUE packets, split to libvirt's packet size).
     *
     * @param data   the bytes
     * @param offset first byte
     * @param length number of bytes
     */
    void data(byte[] data, int offset, int length);

    /** End of data: a zero-length CONTINUE packet, as libvirtd sends at EOF. */
    void end();

    /** Fails the stream: an ERROR packet carrying {@code error} as a {@code remote_error}. */
    void error(LibvirtError error);
}
