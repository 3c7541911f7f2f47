package org.jkvm.rpc.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.jkvm.remote.DomainRef;
import org.jkvm.remote.LibvirtError;
import org.jkvm.remote.LifecycleEvents;
import org.jkvm.remote.MessageHeader;
import org.jkvm.remote.Procedures;
import org.jkvm.remote.Programs;
import org.jkvm.remote.RemoteCodec;
import org.jkvm.remote.spi.DriverConnection;
import org.jkvm.xdr.XdrWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client's event registrations (procedures 316 and 317). Each lifecycle event from the driver goes out as a
 * MESSAGE packet, proc 318, serial 0: {@code {int callbackID; {remote_nonnull_domain dom; int event; int detail}}}.
 * Thread-safe.
 */
final class EventCallbacks {
    private static final Logger LOG = LoggerFactory.getLogger(EventCallbacks.class);

    private final Consumer<XdrWriter> sender;
    private final AtomicInteger nextId = new AtomicInteger();
    private final Map<Integer, AutoCloseable> registrations = new ConcurrentHashMap<>();

    EventCallbacks(Consumer<XdrWriter> sender) {
        this.sender = sender;
    }

    /** Registers with the driver and returns the callback id the client uses from now on. */
    int register(DriverConnection c, int eventId, DomainRef dom) {
        if (eventId != LifecycleEvents.EVENT_ID_LIFECYCLE) {
            throw LibvirtError.argumentUnsupported("domain event " + eventId
                    + " is not supported; only lifecycle events (0) are delivered");
        }
        int id = nextId.incrementAndGet();
        AutoCloseable reg = c.watchLifecycle(dom, (d, event, detail) -> send(id, d, event, detail));
        registrations.put(id, reg);
        return id;
    }

    /** Unregisters; an unknown id is an error, as in libvirtd. */
    void deregister(int callbackId) {
        AutoCloseable reg = registrations.remove(callbackId);
        if (reg == null) {
            throw LibvirtError.invalidArg("callback " + callbackId + " not registered");
        }
        closeQuietly(reg);
    }

    /** Drops every registration (the client went away). */
    void closeAll() {
        registrations.values().forEach(EventCallbacks::closeQuietly);
        registrations.clear();
    }

    private void send(int callbackId, DomainRef dom, int event, int detail) {
        if (!registrations.containsKey(callbackId)) {
            return;
        }
        MessageHeader h = new MessageHeader(Programs.REMOTE, Programs.VERSION,
                Procedures.DOMAIN_EVENT_CALLBACK_LIFECYCLE, Programs.TYPE_MESSAGE, 0, Programs.STATUS_OK);
        sender.accept(Frames.frame(h, w -> {
            w.writeInt(callbackId);
            RemoteCodec.writeDomain(w, dom);
            w.writeInt(event).writeInt(detail);
        }));
    }

    private static void closeQuietly(AutoCloseable reg) {
        try {
            reg.close();
        } catch (Exception e) {
            LOG.warn("closing an event registration failed: {}", e.toString());
        }
    }
}
