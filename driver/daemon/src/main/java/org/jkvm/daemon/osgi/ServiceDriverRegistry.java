package org.jkvm.daemon.osgi;

import java.util.Optional;

import org.jkvm.remote.spi.HypervisorDriver;
import org.jkvm.rpc.DriverRegistry;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;

/**
 * A {@link DriverRegistry} over the OSGi service registry: every {@link HypervisorDriver} service, asked in
 * service ranking order (highest first, then oldest). A driver bundle that stops simply disappears from it, so
 * calls then fail with the RPC server's "no driver" error, and it is used again once it returns. Thread-safe.
 */
public final class ServiceDriverRegistry implements DriverRegistry, AutoCloseable {
    private final ServiceTracker<HypervisorDriver, HypervisorDriver> tracker;

    /** Opens a tracker on the given context. */
    public ServiceDriverRegistry(BundleContext context) {
        this.tracker = new ServiceTracker<>(context, HypervisorDriver.class, null);
        this.tracker.open();
    }

    @Override
    public Optional<HypervisorDriver> find(String uri) {
        ServiceReference<HypervisorDriver>[] refs = tracker.getServiceReferences();
        if (refs == null) {
            return Optional.empty();
        }
        java.util.Arrays.sort(refs, java.util.Collections.reverseOrder());
        for (ServiceReference<HypervisorDriver> r : refs) {
            HypervisorDriver d = tracker.getService(r);
            if (d != null && d.accepts(uri == null ? "" : uri)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /** The number of driver services seen now. */
    public int size() {
        return tracker.size();
    }

    @Override
    public void close() {
        tracker.close();
    }
}
