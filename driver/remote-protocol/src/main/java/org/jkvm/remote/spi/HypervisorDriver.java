package org.jkvm.remote.spi;

import org.jkvm.remote.LibvirtError;

/**
 * A hypervisor driver the RPC server can hand client connections to (the jkvm driver; in OSGi a service).
 *
 * <p>The server asks each registered driver, in registration order, whether it {@link #accepts} the URI the client
 * sent in CONNECT_OPEN, and opens a {@link DriverConnection} on the first that does. Implementations are
 * thread-safe: many client connections open and use them at once.
 */
public interface HypervisorDriver {
    /** A short name for logs and errors, e.g. "jkvm". */
    String name();

    /**
     * Whether this driver serves {@code uri}.
     *
     * @param uri the connection name as the client sent it, transport and host already removed by the client,
     *            e.g. {@code jkvm:///system}, {@code qemu:///system}; the empty string when the client asked the
     *            daemon for its default driver (a {@code remote://} URI or no name at all)
     * @return true to take the connection
     */
    boolean accepts(String uri);

    /**
     * Opens a connection for one client.
     *
     * @param uri      the URI that {@link #accepts} accepted ("" for the default)
     * @param readOnly true when the client opened read-only (CONNECT_OPEN flags bit 0); changing calls must then
     *                 fail with {@link LibvirtError#denied}
     * @return the connection, closed by the server when the client closes or disconnects
     * @throws LibvirtError when the connection cannot be opened
     */
    DriverConnection open(String uri, boolean readOnly);
}
