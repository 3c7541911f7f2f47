package org.jkvm.driver;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import org.jkvm.remote.DomainRef;
import org.jkvm.remote.DomainState;
import org.jkvm.remote.LifecycleEvents;
import org.jkvm.remote.spi.LifecycleListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lifecycle events for clients ({@code virsh event --event lifecycle}): state transitions of domains become
 * libvirt's (event, detail) pairs (libvirt-rpc reference section 9.3), sent to every registered listener whose
 * filter matches. Thread-safe; listeners are called on the thread that changed the state and must not block.
 */
final class Events {
    private static final Logger LOG = LoggerFactory.getLogger(Events.class);

    private record Watch(UUID domain, LifecycleListener listener) {
    }

    private final List<Watch> watches = new CopyOnWriteArrayList<>();

    /** Registers a listener for one domain (by UUID) or all (null); closing the handle unregisters it. */
    AutoCloseable watch(UUID domain, LifecycleListener listener) {
        Watch w = new Watch(domain, listener);
        watches.add(w);
        return () -> watches.remove(w);
    }

    /** Sends one event. */
    void emit(DomainRef dom, int event, int detail) {
        for (Watch w : watches) {
            if (w.domain() == null || w.domain().equals(dom.uuid())) {
                try {
                    w.listener().onLifecycle(dom, event, detail);
                } catch (RuntimeException e) {
                    LOG.warn("a lifecycle listener failed: {}", e.getMessage());
                }
            }
        }
    }

    /** Sends the event a state transition means, if any. */
    void transition(DomainRef dom, DomainState old, DomainState now) {
        if (old.state() == now.state() || watches.isEmpty()) {
            return;
        }
        boolean wasActive = old.state() != DomainState.SHUTOFF && old.state() != DomainState.NOSTATE;
        boolean isActive = now.state() != DomainState.SHUTOFF && now.state() != DomainState.NOSTATE;
        if (!wasActive && isActive) {
            int detail = switch (now.reason()) {
                case DomainState.RUNNING_MIGRATED -> 1;
                case DomainState.RUNNING_RESTORED -> 2;
                default -> now.state() == DomainState.PAUSED && now.reason() == DomainState.PAUSED_MIGRATION ? 1 : 0;
            };
            emit(dom, LifecycleEvents.STARTED, detail);
        } else if (wasActive && !isActive) {
            int detail = switch (now.reason()) {
                case DomainState.SHUTOFF_SHUTDOWN -> 0;
                case DomainState.SHUTOFF_DESTROYED -> 1;
                case DomainState.SHUTOFF_CRASHED -> 2;
                case DomainState.SHUTOFF_MIGRATED -> 3;
                case DomainState.SHUTOFF_SAVED -> 4;
                default -> 5;
            };
            emit(dom, LifecycleEvents.STOPPED, detail);
        } else if (now.state() == DomainState.PAUSED) {
            emit(dom, LifecycleEvents.SUSPENDED, now.reason() == DomainState.PAUSED_MIGRATION ? 1 : 0);
        } else if (now.state() == DomainState.RUNNING) {
            emit(dom, LifecycleEvents.RESUMED, now.reason() == DomainState.RUNNING_MIGRATED ? 1 : 0);
        }
    }
}
