package org.jkvm.driver;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.jkvm.domainxml.KvmDevice;
import org.jkvm.driver.engine.Engine;
import org.jkvm.driver.engine.EnginePaths;
import org.jkvm.driver.engine.ProcessStart;
import org.jkvm.driver.qmp.MigrationParameters;
import org.jkvm.driver.qmp.QmpException;
import org.jkvm.remote.DomainRef;
import org.jkvm.remote.DomainState;
import org.jkvm.remote.LibvirtError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starting and stopping engines for domains: start (launch an engine as the definition says), destroy (quit,
 * then kill), shutdown (the guest's power-off request), suspend and resume (QMP stop and cont), and re-attaching
 * to engines that outlived an earlier daemon.
 */
final class Lifecycle {
    private static final Logger LOG = LoggerFactory.getLogger(Lifecycle.class);
    /** CREATE_WITH_FLAGS bits we honour: 0x1 paused; 0x8 force_boot and 0x10 validate are accepted. */
    /**
     * How long a re-attached engine's monitor may take to answer: as long as a starting engine's, since a loaded
     * host delays a busy engine's QMP thread by seconds (5 s was not enough at load 16).
     */
    private static final Duration REATTACH_TIMEOUT = Duration.ofSeconds(30);
    private static final int CREATE_FLAGS = 0x1 | 0x8 | 0x10;

    private final DomainManager m;

    Lifecycle(DomainManager m) {
        this.m = m;
    }

    /** DOMAIN_CREATE_WITH_FLAGS: boots the domain's engine. */
    DomainRef start(Domain d, int flags) {
        if ((flags & ~CREATE_FLAGS) != 0) {
            throw LibvirtError.unsupportedFlags(flags, "virDomainCreateWithFlags");
        }
        d.opLock.lock();
        try {
            if (d.active()) {
                throw VirErrors.alreadyRunning();
            }
            Definition def = d.current();
            boolean paused = (flags & 0x1) != 0;
            launch(d, def, paused ? List.of("-S") : List.of(), paused
                    ? new DomainState(DomainState.PAUSED, DomainState.PAUSED_USER)
                    : new DomainState(DomainState.RUNNING, DomainState.RUNNING_BOOTED));
            return d.ref();
        } finally {
            d.opLock.unlock();
        }
    }

    /**
     * Launches an engine for a domain and records it (status file included). The caller holds the domain's
     * operation lock. A {@code type='kvm'} domain on a host without KVM is refused first, with libvirt's sentence
     * ({@link HostKvm#requireFor}); this is the one path every start takes (start, autostart, restore, Prepare).
     *
     * @param extra   extra engine options ({@code -S}, {@code -incoming ...})
     * @param initial the state to report once the engine answers
     */
    Engine launch(Domain d, Definition def, List<String> extra, DomainState initial) {
        m.kvm.requireFor(def);
        EnginePaths paths = EnginePaths.of(m.config.stateDir(), def.name());
        List<String> cmd = new ArrayList<>(m.config.engineCommand());
        List<String> args = m.definitions.engineArgs(def, paths);
        cmd.addAll(args);
        if (!m.kvm.device().equals(KvmDevice.DEFAULT)) {
            // The engine finds the device by the same rule, but a device set by a property of this JVM (not in the
            // environment it inherits) must be handed on, so that the engine and the daemon agree.
            cmd.addAll(List.of("-kvm-device", m.kvm.device().toString()));
        }
        if (!args.contains("-serial")) {
            cmd.add("-serial");
            cmd.add(paths.serialBackend());
        }
        if (!args.contains("-qmp")) {
            cmd.addAll(List.of("-qmp", "unix:" + paths.qmp() + ",server,nowait"));
        }
        if (!args.contains("-pidfile")) {
            cmd.addAll(List.of("-pidfile", paths.pidfile().toString()));
        }
        cmd.addAll(extra);
        Engine e;
        try {
            e = Engine.launch(def.name(), cmd, m.config.engineCommand().size(), m.spare, paths,
                    m.config.engineStartTimeout(), d);
        } catch (LibvirtError ex) {
            m.replenishSpare();
            d.setState(new DomainState(DomainState.SHUTOFF, DomainState.SHUTOFF_FAILED));
            throw ex;
        }
        if (!extra.contains("-incoming")) {
            m.replenishSpare();  // an incoming engine's Finish or restore does it, once the guest runs
        }
        int id = m.allocateId();
        d.attached(e, def, id, initial);
        applyTuning(d, e);
        writeStatus(d, def, e);
        LOG.info("domain {} started as id {} (engine pid {})", def.name(), id, e.pid());
        return e;
    }

    /** Sends the domain's migration speed and downtime to a fresh engine; an engine refusing them is logged. */
    private void applyTuning(Domain d, Engine e) {
        try {
            MigrationParameters p = MigrationParameters.NONE;
            if (d.maxSpeedMiB() < Domain.UNLIMITED_SPEED_MIB) {
                p = p.withMaxBandwidth(d.maxSpeedMiB() << 20);
            }
            e.qmp().setMigrationParameters(p.withDowntimeLimit(d.maxDowntimeMs()));
        } catch (QmpException ex) {
            LOG.warn("engine of {} refused the migration parameters: {}", d.name(), ex.getMessage());
        }
    }

    void writeStatus(Domain d, Definition def, Engine e) {
        try {
            new StatusFile(def.name(), def.uuid(), d.id(), e.pid(), e.startInstant(),
                    ProcessStart.ticks(e.pid()).orElse(-1), d.persistent() != null)
                    .write(m.runDir, m.definitions.liveXml(def, d.id(), e.paths()));
        } catch (IOException ex) {
            LOG.warn("cannot write the status file of {}; a daemon restart will not re-attach to it: {}",
                    def.name(), ex.getMessage());
        }
    }

    /** DOMAIN_DESTROY_FLAGS: asks the engine to quit, then kills it. */
    void destroy(Domain d, int flags) {
        if ((flags & ~0x3) != 0) {
            throw LibvirtError.unsupportedFlags(flags, "virDomainDestroyFlags");
        }
        Engine e = runningEngine(d);
        d.expectExit(DomainState.SHUTOFF_DESTROYED);
        Optional.ofNullable(d.job()).ifPresent(Job::requestAbort);
        try {
            e.qmp().quit();
        } catch (QmpException ex) {
            LOG.debug("quit failed for {}, killing: {}", d.name(), ex.getMessage());
        }
        if (!e.awaitExit(Duration.ofSeconds((flags & 0x1) != 0 ? 10 : 3))) {
            e.kill();
        }
        awaitShutoff(d, Duration.ofSeconds(5));
    }

    /** DOMAIN_SHUTDOWN_FLAGS: the firmware's power-off request (QMP {@code system_powerdown}). */
    void shutdown(Domain d, int flags) {
        if ((flags & ~0x1) != 0) {
            throw LibvirtError.argumentUnsupported("shutdown mode 0x" + Integer.toHexString(flags)
                    + " is not supported; jkvm guests shut down through the power button (--mode acpi)");
        }
        Engine e = runningEngine(d);
        if (d.state().state() == DomainState.PAUSED) {
            throw LibvirtError.operationInvalid("domain is not running (it is paused; resume it first)");
        }
        try {
            e.qmp().systemPowerdown();
        } catch (QmpException ex) {
            throw VirErrors.engine("shutdown", d.name(), ex);
        }
    }

    /** DOMAIN_SUSPEND: pauses the vCPUs. */
    void suspend(Domain d) {
        Engine e = runningEngine(d);
        refuseDuringSave(d);
        if (d.state().state() == DomainState.PAUSED) {
            return;
        }
        d.expectPause(DomainState.PAUSED_USER);
        try {
            e.qmp().stop();
        } catch (QmpException ex) {
            throw VirErrors.engine("suspend", d.name(), ex);
        }
        d.setState(new DomainState(DomainState.PAUSED, DomainState.PAUSED_USER));
    }

    /** DOMAIN_RESUME: continues the vCPUs. */
    void resume(Domain d) {
        Engine e = runningEngine(d);
        refuseDuringSave(d);
        if (d.state().state() == DomainState.RUNNING) {
            throw LibvirtError.operationInvalid("domain is already running");
        }
        d.expectResume(DomainState.RUNNING_UNPAUSED);
        try {
            e.qmp().cont();
        } catch (QmpException ex) {
            throw VirErrors.engine("resume", d.name(), ex);
        }
        d.setState(new DomainState(DomainState.RUNNING, DomainState.RUNNING_UNPAUSED));
    }

    /**
     * Save and restore own the guest's run state; a migration does not (CloudStack suspends a guest during its
     * migration to make it converge), so only those refuse suspend and resume.
     */
    private static void refuseDuringSave(Domain d) {
        Job j = d.job();
        if (j != null && (j.operation == Job.OP_SAVE || j.operation == Job.OP_RESTORE)) {
            throw LibvirtError.operationInvalid("domain has an active save or restore job; wait for it or abort it");
        }
    }

    /** The engine of an active domain, or 55 "domain is not running". */
    Engine runningEngine(Domain d) {
        Engine e = d.engine();
        if (e == null || !d.active()) {
            throw VirErrors.notRunning();
        }
        return e;
    }

    /** Waits until the exit watcher has marked the domain shut off. */
    static void awaitShutoff(Domain d, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while ((d.active() || !d.exitSettled()) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Re-attaches to the engines named by status files; stale files are removed. */
    void reattachAll() {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(m.runDir, "*" + StatusFile.SUFFIX)) {
            ds.forEach(files::add);
        } catch (IOException e) {
            LOG.warn("cannot list {}: {}", m.runDir, e.getMessage());
        }
        for (Path f : files) {
            try {
                reattach(StatusFile.read(f));
            } catch (IOException | RuntimeException e) {
                LOG.warn("ignoring unreadable status file {}: {}", f, e.getMessage());
                try {
                    Files.deleteIfExists(f);
                } catch (IOException ignored) {
                    // Left for the next start.
                }
            }
        }
    }

    private void reattach(StatusFile s) throws IOException {
        Definition live = m.definitions.parse(Files.readString(StatusFile.xmlPath(m.runDir, s.name())));
        Domain d;
        try {
            d = m.byUuid(s.uuid());
        } catch (LibvirtError notDefined) {
            d = m.add(live, false);
        }
        EnginePaths paths = EnginePaths.of(m.config.stateDir(), s.name());
        Optional<Engine> e = Engine.attach(s.name(), s.pid(), s.startInstant(), s.startTicks(), paths, d,
                REATTACH_TIMEOUT);
        if (e.isEmpty()) {
            LOG.warn("no engine of domain {} (pid {}) to re-attach to; the domain is shut off (crashed)", s.name(),
                    s.pid());
            StatusFile.delete(m.runDir, s.name());
            d.setState(new DomainState(DomainState.SHUTOFF, DomainState.SHUTOFF_CRASHED));
            if (d.persistent() == null) {
                d.onExit(-1, "engine gone while the daemon was down");
            }
            return;
        }
        DomainState st = new DomainState(DomainState.RUNNING, DomainState.RUNNING_BOOTED);
        try {
            if (!e.get().qmp().queryStatus().running()) {
                st = new DomainState(DomainState.PAUSED, DomainState.PAUSED_USER);
            }
        } catch (QmpException ex) {
            LOG.warn("query-status failed on re-attached engine of {}: {}", s.name(), ex.getMessage());
        }
        d.attached(e.get(), live, s.id(), st);
        m.noteId(s.id());
        LOG.info("re-attached to domain {} id {} (engine pid {}), {}", s.name(), s.id(), s.pid(), st);
    }

    /**
     * Sends migration parameters to a running engine (a migration in progress obeys them at once); nothing when
     * the domain has no engine.
     *
     * @param what what is set, for the error ("the migration speed")
     */
    static void tune(Domain d, MigrationParameters p, String what) {
        Engine e = d.engine();
        if (e == null) {
            return;
        }
        try {
            e.qmp().setMigrationParameters(p);
        } catch (QmpException ex) {
            throw VirErrors.engine("setting " + what, d.name(), ex);
        }
    }
}
