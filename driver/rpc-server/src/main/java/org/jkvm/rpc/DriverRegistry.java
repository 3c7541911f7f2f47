package org.jkvm.rpc;

import java.util.Optional;

import org.jkvm.remote.spi.HypervisorDriver;

/**
 * Where the RPC server finds drivers. In the daemon this is backed by the OSGi service registry, so a driver
 * bundle can come and go; {@link InMemoryDriverRegistry} serves tests and plain-Java embedding.
 *
 * <p>Implementations are thread-safe; the server asks on every CONNECT_OPEN and before each call, so that a
 * driver that went away yields a clear "no driver" error and one that came back is used again.
 */
public interface DriverRegistry {
    /**
     * The first driver that accepts {@code uri}.
     *
     * @param uri the connection name the client sent ("" for the daemon's default)
     * @return the driver, or empty when none accepts it
     */
    Optional<HypervisorDriver> find(String uri);
}
