package org.jkvm.remote.spi;

import org.jkvm.remote.DomainRef;

/**
 * Receives domain lifecycle events (libvirt's VIR_DOMAIN_EVENT_ID_LIFECYCLE), which the RPC server forwards to
 * clients that registered for them ({@code virsh event --event lifecycle}).
 *
 * <p>Called from the driver's threads; implementations return quickly and never throw.
 */
@FunctionalInterface
public interface LifecycleListener {
    /**
     * One lifecycle change.
     *
     * @param domain the domain, with its current id
     * @param event  {@link org.jkvm.remote.LifecycleEvents} event code (0 DEFINED .. 8 CRASHED)
     * @param detail the event's detail code (e.g. 1 "migrated" for STARTED)
     */
    void onLifecycle(DomainRef domain, int event, int detail);
}
