package org.jkvm.rpc;

import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.jkvm.remote.spi.HypervisorDriver;

/** A {@link DriverRegistry} holding drivers in a list, in registration order. Thread-safe. */
public final class InMemoryDriverRegistry implements DriverRegistry {
    private final CopyOnWriteArrayList<HypervisorDriver> drivers = new CopyOnWriteArrayList<>();

    /** Adds a driver after those already registered. */
    public InMemoryDriverRegistry register(HypervisorDriver driver) {
        drivers.addIfAbsent(driver);
        return this;
    }

    /** Removes a driver; connections using it then get "no driver" errors. */
    public void unregister(HypervisorDriver driver) {
        drivers.remove(driver);
    }

    @Override
    public Optional<HypervisorDriver> find(String uri) {
        for (HypervisorDriver d : drivers) {
            if (d.accepts(uri)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }
}
