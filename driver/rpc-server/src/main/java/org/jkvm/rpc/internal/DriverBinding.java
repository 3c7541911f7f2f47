package org.jkvm.rpc.internal;

import java.util.Optional;

import org.jkvm.remote.ErrorCodes;
import org.jkvm.remote.LibvirtError;
import org.jkvm.remote.spi.DriverConnection;
import org.jkvm.remote.spi.HypervisorDriver;
import org.jkvm.rpc.DriverRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client's link to its driver: opened by CONNECT_OPEN, looked up again in the {@link DriverRegistry} before every
 * call. When the driver went away the call fails with "no driver" (VIR_ERR_NO_CONNECT); when a new instance came
 * back, the connection is reopened on it with the same URI and read-only flag. Thread-safe.
 */
final class DriverBinding {
    private static final Logger LOG = LoggerFactory.getLogger(DriverBinding.class);

    private final DriverRegistry registry;
    private final String peer;
    private HypervisorDriver driver;
    private DriverConnection connection;
    private String uri;
    private boolean readOnly;

    DriverBinding(DriverRegistry registry, String peer) {
        this.registry = registry;
        this.peer = peer;
    }

    /** CONNECT_OPEN: finds a driver for {@code name} and opens a connection on it. */
    void open(String name, boolean ro) {
        HypervisorDriver d = registry.find(name).orElseThrow(() -> LibvirtError.noDriver(name));
        synchronized (this) {
            if (connection != null) {
                throw LibvirtError.operationInvalid("connection already open");
            }
            connection = d.open(name, ro);
            driver = d;
            uri = name;
            readOnly = ro;
        }
        LOG.debug("client {}: opened {} with driver {}{}", peer, name, d.name(), ro ? " (read-only)" : "");
    }

    /** True once CONNECT_OPEN succeeded and until CONNECT_CLOSE. */
    synchronized boolean isOpen() {
        return connection != null;
    }

    /** True when the client opened read-only. */
    synchronized boolean isReadOnly() {
        return readOnly;
    }

    /** The driver connection for a call, reopened on a new driver instance when the old one went away. */
    DriverConnection current() {
        DriverConnection old = null;
        try {
            synchronized (this) {
                if (connection == null) {
                    throw new LibvirtError(ErrorCodes.INTERNAL_ERROR, ErrorCodes.FROM_RPC,
                            "internal error: connection not open; the client must call CONNECT_OPEN first");
                }
                Optional<HypervisorDriver> now = registry.find(uri);
                if (now.isEmpty()) {
                    throw LibvirtError.noDriver(uri);
                }
                if (now.get() != driver) {
                    LOG.info("client {}: driver for {} changed, reopening the connection", peer, uri);
                    DriverConnection fresh = now.get().open(uri, readOnly);
                    old = connection;
                    connection = fresh;
                    driver = now.get();
                }
                return connection;
            }
        } finally {
            closeQuietly(old);
        }
    }

    /** CONNECT_CLOSE or disconnect: closes the driver connection, if any. */
    void close() {
        DriverConnection c;
        synchronized (this) {
            c = connection;
            connection = null;
            driver = null;
        }
        closeQuietly(c);
    }

    private void closeQuietly(DriverConnection c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (RuntimeException e) {
            LOG.warn("client {}: closing the driver connection failed: {}", peer, e.toString());
        }
    }
}
