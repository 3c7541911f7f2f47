package org.jkvm.driver;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.jkvm.driver.engine.SpareEngine;
import org.jkvm.remote.DomainRef;
import org.jkvm.remote.DomainState;
import org.jkvm.remote.LibvirtError;
import org.jkvm.remote.LifecycleEvents;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * All domains of one daemon: the registry (by UUID, name and id), define and undefine, listing with libvirt's
 * filters, autostart marks, and start-up (load the store, re-attach to engines that still run, autostart).
 * Life-cycle operations live in {@link Lifecycle}, save and restore in {@link SaveRestore}. Thread-safe.
 */
public final class DomainManager implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DomainManager.class);
    /** How long after a spare engine is taken the next one starts at the latest (see {@link #replenishSpare}). */
    private static final Duration SPARE_RESPAWN = Duration.ofSeconds(10);

    final DriverConfig config;
    final Definitions definitions;
    final Path runDir;
    final Path logDir;
    private final Path autostartDir;
    private final Map<UUID, Domain> domains = new ConcurrentHashMap<>();
    private final AtomicInteger nextId = new AtomicInteger(1);
    private final Object defineLock = new Object();
    final Events events = new Events();
    /** The open {@code virsh console} sessions. */
    final Consoles consoles = new Consoles();
    /** Whether KVM works here (probed at start and on demand). */
    final HostKvm kvm;
    final Lifecycle lifecycle;
    /** The engine process kept started ahead of need, or null when switched off. */
    final SpareEngine spare;
    final SaveRestore saveRestore;
    final Migration migration;
    final Incoming incoming;
    final PeerMigration peer;

    /**
     * Opens the state folder: loads stored definitions and re-attaches to engines listed in status files.
     *
     * @throws LibvirtError when the state folder cannot be created
     */
    public DomainManager(DriverConfig config, Definitions definitions) {
        this.config = config;
        this.definitions = definitions;
        this.runDir = config.stateDir().resolve("run");
        this.logDir = config.stateDir().resolve("log");
        this.autostartDir = config.stateDir().resolve("autostart");
        try {
            Files.createDirectories(runDir);
            Files.createDirectories(logDir);
            Files.createDirectories(autostartDir);
        } catch (IOException e) {
            throw VirErrors.operationFailed("cannot create the state folder " + config.stateDir() + " ("
                    + e.getMessage() + "); choose a writable folder with --state-dir", e);
        }
        this.kvm = new HostKvm(config.kvmDevice());
        this.lifecycle = new Lifecycle(this);
        this.spare = config.spareEngine()
                ? new SpareEngine(config.engineCommand(), config.stateDir().toString(),
                        logDir.resolve("spare-engine.log"), SPARE_RESPAWN)
                : null;
        this.saveRestore = new SaveRestore(this);
        this.migration = new Migration(this);
        this.incoming = new Incoming(this);
        this.peer = new PeerMigration(migration);
        for (Definition def : definitions.loadAll()) {
            Domain d = new Domain(def, true, this::engineEnded, events);
            d.setAutostart(Files.exists(autostartDir.resolve(def.uuid().toString())));
            domains.put(def.uuid(), d);
        }
        lifecycle.reattachAll();
        LOG.info("{} domains defined or running under {}", domains.size(), config.stateDir());
    }

    /**
     * Loads the XML machinery once (JAXB is slow the first time), so the first define or incoming migration of a
     * client does not pay for it. Failures are ignored: the real call reports them.
     */
    public void warmUp() {
        try {
            definitions.parse("<domain type='kvm'><name>warm-up</name><memory unit='MiB'>1</memory>"
                    + "<os><type arch='x86_64'>hvm</type></os></domain>");
        } catch (RuntimeException e) {
            LOG.debug("XML warm-up failed: {}", e.getMessage());
        }
    }

    /** Starts the domains marked autostart that are not running; failures are logged. */
    public void autostart() {
        for (Domain d : domains.values()) {
            if (d.autostart() && !d.active()) {
                try {
                    lifecycle.start(d, 0);
                } catch (LibvirtError e) {
                    LOG.warn("autostart of domain {} failed: {}", d.name(), e.getMessage());
                }
            }
        }
    }

    int allocateId() {
        return nextId.getAndIncrement();
    }

    void noteId(int id) {
        nextId.accumulateAndGet(id + 1, Math::max);
    }

    Domain add(Definition def, boolean persistent) {
        Domain d = new Domain(def, persistent, this::engineEnded, events);
        domains.put(def.uuid(), d);
        return d;
    }

    /** Called once a domain's engine has ended: transient domains disappear, status files go. */
    private void engineEnded(Domain d) {
        StatusFile.delete(runDir, d.name());
        if (d.persistent() == null) {
            domains.remove(d.uuid, d);
        }
    }

    // ----- lookup -----

    /** The domain a client's reference names: by UUID, falling back to the name. */
    Domain get(DomainRef ref) {
        Domain d = domains.get(ref.uuid());
        if (d == null) {
            throw VirErrors.noDomainUuid(ref.uuid().toString(), ref.name());
        }
        return d;
    }

    /** DOMAIN_LOOKUP_BY_NAME. */
    public Domain byName(String name) {
        return domains.values().stream().filter(d -> d.name().equals(name)).findFirst()
                .orElseThrow(() -> VirErrors.noDomainName(name));
    }

    /** DOMAIN_LOOKUP_BY_UUID. */
    public Domain byUuid(UUID uuid) {
        Domain d = domains.get(uuid);
        if (d == null) {
            throw VirErrors.noDomainUuid(uuid.toString(), null);
        }
        return d;
    }

    /** DOMAIN_LOOKUP_BY_ID: only running domains have ids. */
    public Domain byId(int id) {
        return domains.values().stream().filter(d -> d.id() == id && id > 0).findFirst()
                .orElseThrow(() -> VirErrors.noDomainId(id));
    }

    /** CONNECT_LIST_ALL_DOMAINS with libvirt's filter flags (reference section 5.3), sorted active first, by id. */
    public List<DomainRef> list(int flags) {
        Stream<Domain> s = domains.values().stream().filter(d -> matches(d, flags));
        return s.map(Domain::ref).sorted(Comparator.comparingInt((DomainRef r) -> r.id() < 0 ? Integer.MAX_VALUE
                : r.id()).thenComparing(DomainRef::name)).toList();
    }

    private boolean matches(Domain d, int flags) {
        DomainState st = d.state();
        boolean active = d.active();
        boolean persistent = d.persistent() != null;
        if (!pair(flags, 0x1, active, 0x2, !active) || !pair(flags, 0x4, persistent, 0x8, !persistent)) {
            return false;
        }
        int stateBits = flags & 0xF0;
        if (stateBits != 0) {
            boolean running = st.state() == DomainState.RUNNING;
            boolean paused = st.state() == DomainState.PAUSED;
            boolean shutoff = st.state() == DomainState.SHUTOFF;
            boolean other = !running && !paused && !shutoff;
            if (!((flags & 0x10) != 0 && running || (flags & 0x20) != 0 && paused
                    || (flags & 0x40) != 0 && shutoff || (flags & 0x80) != 0 && other)) {
                return false;
            }
        }
        // No managed save, snapshots or checkpoints exist in jkvm.
        return pair(flags, 0x100, false, 0x200, true) && pair(flags, 0x400, d.autostart(), 0x800, !d.autostart())
                && pair(flags, 0x1000, false, 0x2000, true) && pair(flags, 0x4000, false, 0x8000, true);
    }

    private static boolean pair(int flags, int yesBit, boolean yes, int noBit, boolean no) {
        boolean y = (flags & yesBit) != 0;
        boolean n = (flags & noBit) != 0;
        return !y && !n || y && yes || n && no;
    }

    // ----- define and undefine -----

    /** DOMAIN_DEFINE_XML: adds or replaces a persistent definition. */
    public DomainRef define(String xml) {
        Definition def = definitions.parse(xml);
        synchronized (defineLock) {
            for (Domain other : domains.values()) {
                if (other.name().equals(def.name()) && !other.uuid.equals(def.uuid())) {
                    throw VirErrors.alreadyExists("domain '" + def.name() + "' already exists with uuid "
                            + other.uuid);
                }
            }
            Domain d = domains.get(def.uuid());
            boolean added = d == null || d.persistent() == null;
            if (d != null && !d.name().equals(def.name()) && d.active()) {
                throw VirErrors.alreadyExists("domain '" + d.name() + "' is already defined with uuid " + d.uuid
                        + " and running; it cannot be renamed to '" + def.name() + "' while active");
            }
            definitions.store(def);
            if (d == null) {
                d = add(def, true);
            } else {
                if (d.persistent() != null && !d.persistent().name().equals(def.name())) {
                    definitions.remove(d.persistent());
                }
                d.setPersistent(def);
            }
            LOG.info("defined domain {} ({})", def.name(), def.uuid());
            events.emit(d.ref(), LifecycleEvents.DEFINED, added ? 0 : 1);
            return d.ref();
        }
    }

    /** DOMAIN_UNDEFINE_FLAGS: removes the stored definition; a running domain goes on as a transient one. */
    public void undefine(DomainRef ref, int flags) {
        if ((flags & ~0x7F) != 0) {
            throw LibvirtError.unsupportedFlags(flags, "virDomainUndefineFlags");
        }
        Domain d = get(ref);
        synchronized (defineLock) {
            Definition def = d.persistent();
            if (def == null) {
                throw LibvirtError.operationInvalid("cannot undefine transient domain");
            }
            definitions.remove(def);
            setAutostart(d, false);
            d.setPersistent(null);
            if (!d.active()) {
                domains.remove(d.uuid, d);
            }
            LOG.info("undefined domain {} ({})", def.name(), def.uuid());
            events.emit(d.ref(), LifecycleEvents.UNDEFINED, 0);
        }
    }

    /** DOMAIN_SET_AUTOSTART: marks a persistent domain to start with the daemon. */
    public void setAutostart(Domain d, boolean on) {
        if (on && d.persistent() == null) {
            throw LibvirtError.operationInvalid("cannot set autostart for transient domain");
        }
        Path mark = autostartDir.resolve(d.uuid.toString());
        try {
            if (on) {
                Files.writeString(mark, d.name() + "\n");
            } else {
                Files.deleteIfExists(mark);
            }
        } catch (IOException e) {
            throw VirErrors.operationFailed("cannot write the autostart mark " + mark + ": " + e.getMessage(), e);
        }
        d.setAutostart(on);
    }

    /** Starts the next spare engine when one was taken (after the work that took it); no-op without spares. */
    void replenishSpare() {
        if (spare != null) {
            spare.replenish();
        }
    }

    /** All domains, for re-attach and shutdown. */
    List<Domain> all() {
        return new ArrayList<>(domains.values());
    }

    /** Detaches from every engine without stopping it: engines outlive the daemon and are re-attached later. */
    @Override
    public void close() {
        if (spare != null) {
            spare.close();
        }
        for (Domain d : domains.values()) {
            var e = d.engine();
            if (e != null) {
                e.close();
            }
        }
    }
}
