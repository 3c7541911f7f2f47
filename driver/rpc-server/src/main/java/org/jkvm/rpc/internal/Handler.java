package org.jkvm.rpc.internal;

import org.jkvm.remote.spi.DriverConnection;
import org.jkvm.xdr.XdrReader;
import org.jkvm.xdr.XdrWriter;

/**
 * Serves one procedure: decodes its args from {@code args}, calls the driver, encodes its ret into {@code ret}.
 * Throws {@link org.jkvm.remote.LibvirtError} for driver errors and {@link org.jkvm.xdr.XdrException} for
 * malformed args.
 */
@FunctionalInterface
public interface Handler {
    /** Runs the procedure. */
    void call(DriverConnection c, XdrReader args, XdrWriter ret);

    /**
     * A procedure entry of the dispatch table.
     *
     * @param name    the libvirt API name, for logs
     * @param changes true when the call changes state (refused on read-only connections)
     * @param quick   true when the driver answers from memory without blocking (lookups, info, state, job info):
     *                the connection's reader may then serve it inline
     * @param handler the code
     */
    record Entry(String name, boolean changes, boolean quick, Handler handler) {
    }
}
