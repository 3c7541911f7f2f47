package org.jkvm.driver;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import org.jkvm.driver.engine.Engine;
import org.jkvm.driver.qmp.QmpException;
import org.jkvm.driver.qmp.RunStatus;
import org.jkvm.remote.DomainState;
import org.jkvm.remote.JobInfo;
import org.jkvm.remote.LibvirtError;
import org.jkvm.remote.MigrationParams;
import org.jkvm.remote.MigrationResults;
import org.jkvm.remote.TypedParam;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The destination side of migration v3: Prepare checks the incoming definition (against an existing definition's
 * ABI), starts an engine with {@code -incoming tcp:ADDRESS:PORT} on a port of the migration range and answers
 * {@code tcp:ADDRESS:PORT}; Finish records the outcome (or discards the engine when the migration failed).
 *
 * <p>Unless the guest is to arrive paused ({@code VIR_MIGRATE_PAUSED}, which libvirt also sets for a paused
 * source), the engine is started without {@code -S}: it continues the guest itself the moment the source hands it
 * over (the engines' LOADED/handover exchange, after which the source never runs it again), so the guest's
 * downtime is the engines' alone and does not include the round trips of Perform's reply and Finish, as it would
 * if Finish sent {@code cont}. See {@link Migration#confirm} for the source side of that rule.
 */
final class Incoming {
    private static final Logger LOG = LoggerFactory.getLogger(Incoming.class);
    private static final Duration FINISH_TIMEOUT = Duration.ofMinutes(2);

    private final DomainManager m;
    private final MigrationPorts ports;

    Incoming(DomainManager m) {
        this.m = m;
        this.ports = new MigrationPorts(m.config.migrationPortFrom(), m.config.migrationPortTo());
    }

    /** Prepare: an engine waiting for the stream, and the URI the source should send it to. */
    MigrationResults.Prepare prepare(List<TypedParam> params, int flags) {
        long t0 = System.nanoTime();
        Migration.checkFlags(flags);
        String xml = TypedParam.string(params, MigrationParams.DEST_XML).orElseThrow(() ->
                LibvirtError.invalidArg("no destination_xml in the migration parameters"));
        Definition def = m.definitions.parse(xml);
        String dname = TypedParam.string(params, MigrationParams.DEST_NAME).orElse(def.name());
        if (!dname.equals(def.name())) {
            def = m.definitions.rename(def, dname);
        }
        Domain d = existing(def);
        if ((flags & MigrationParams.OFFLINE) != 0) {
            m.define(persistentXml(params, def));
            return new MigrationResults.Prepare(new byte[0], "tcp:" + address(params) + ":0");
        }
        if (d == null) {
            d = m.add(def, false);
        }
        int port = ports.reserve();
        d.opLock.lock();
        try {
            if (d.active()) {
                throw LibvirtError.operationInvalid("domain '" + def.name() + "' is already active on the destination");
            }
            Job job = new Job(Job.OP_MIGRATION_IN);
            job.port = port;
            job.flags = flags;
            // Listen only on the advertised address when one is configured, else on every address (as QEMU).
            String bind = m.config.migrationAddress() != null ? m.config.migrationAddress() : "0.0.0.0";
            List<String> extra = new ArrayList<>(List.of("-incoming", "tcp:" + bind + ":" + port));
            if ((flags & MigrationParams.PAUSED) != 0) {
                extra.add(0, "-S");
            }
            d.expectResume(DomainState.RUNNING_MIGRATED);
            m.lifecycle.launch(d, def, extra, new DomainState(DomainState.PAUSED, DomainState.PAUSED_MIGRATION));
            d.startJob(job);
        } catch (RuntimeException e) {
            m.replenishSpare();
            ports.release(port);
            if (d.persistent() == null && !d.active()) {
                d.onExit(-1, "incoming migration could not start");
            }
            throw e;
        } finally {
            d.opLock.unlock();
        }
        String uri = "tcp:" + address(params) + ":" + port;
        LOG.info("incoming migration of {} prepared on {} in {} ms", def.name(), uri,
                (System.nanoTime() - t0) / 1_000_000);
        return new MigrationResults.Prepare(new byte[0], uri);
    }

    /** The domain already known under this definition's name or UUID, checked for clashes and ABI; or null. */
    private Domain existing(Definition def) {
        Domain byName = null;
        try {
            byName = m.byName(def.name());
        } catch (LibvirtError absent) {
            // No domain of that name here yet.
        }
        if (byName != null && !byName.uuid.equals(def.uuid())) {
            throw VirErrors.alreadyExists("domain '" + def.name() + "' already exists on the destination with uuid "
                    + byName.uuid + "; undefine it there or migrate with another --dname");
        }
        if (byName != null && byName.active()) {
            throw LibvirtError.operationInvalid("domain '" + def.name() + "' is already active on the destination");
        }
        if (byName != null && byName.persistent() != null) {
            m.definitions.abiCheck(def, byName.persistent());
        }
        return byName;
    }

    private String address(List<TypedParam> params) {
        if (m.config.migrationAddress() != null) {
            return m.config.migrationAddress();
        }
        String listen = TypedParam.string(params, MigrationParams.LISTEN_ADDRESS).orElse(null);
        if (listen != null && !listen.isBlank() && !listen.equals("0.0.0.0") && !listen.equals("::")) {
            return listen;
        }
        try {
            return InetAddress.getLocalHost().getHostAddress();
        } catch (UnknownHostException e) {
            throw VirErrors.operationFailed("cannot tell the address sources should migrate to; start the "
                    + "daemon with --migration-address ADDR", e);
        }
    }

    private static String persistentXml(List<TypedParam> params, Definition def) {
        return TypedParam.string(params, MigrationParams.PERSIST_XML).filter(s -> !s.isBlank()).orElse(def.xml());
    }

    /** Finish: continue the guest on the destination, or tear it down when {@code cancelled}. */
    MigrationResults.Finish finish(List<TypedParam> params, int flags, boolean cancelled) {
        long t0 = System.nanoTime();
        String name = TypedParam.string(params, MigrationParams.DEST_NAME).orElseThrow(() ->
                LibvirtError.invalidArg("no destination_name in the migration parameters"));
        Domain d;
        try {
            d = m.byName(name);
        } catch (LibvirtError gone) {
            if (cancelled) {
                throw LibvirtError.migrateFinishOk();
            }
            throw VirErrors.operationFailed("domain '" + name + "' is no longer on the destination: its engine "
                    + "ended during the incoming migration (see " + m.logDir.resolve(name + ".log") + ")", gone);
        }
        if ((flags & MigrationParams.OFFLINE) != 0) {
            if (cancelled) {
                throw LibvirtError.migrateFinishOk();
            }
            return new MigrationResults.Finish(d.ref(), new byte[0]);
        }
        Job job = d.job();
        Engine e = d.engine();
        try {
            if (e == null || cancelled && !runningHere(e)) {
                throw LibvirtError.migrateFinishOk();
            }
            if (cancelled) {
                // The source's side failed after it had handed the guest over (its engine never runs it again):
                // the guest's only copy runs here, so the migration is finished, not undone.
                LOG.warn("the source reported a failed migration of {}, but it had handed the guest over and it "
                        + "runs here; keeping it", name);
            }
            RunStatus status = awaitLeftIncoming(e, job, FINISH_TIMEOUT, 20, () -> VirErrors.operationFailed(
                    "the destination engine of '" + d.name() + "' ended while receiving the guest; see "
                    + e.paths().log(), null), () -> VirErrors.operationFailed("the destination engine of '"
                    + d.name() + "' had not received the whole guest " + FINISH_TIMEOUT.toSeconds()
                    + " s after the source finished", null));
            if ((flags & MigrationParams.PAUSED) != 0) {
                d.setState(new DomainState(DomainState.PAUSED, DomainState.PAUSED_USER));
            } else if (status.running()) {
                // Continued by the engine at the handover (no -S).
                d.setState(new DomainState(DomainState.RUNNING, DomainState.RUNNING_MIGRATED));
            } else {
                // The source's guest was paused but the client did not ask for PAUSED: libvirt's rule is to run it.
                d.expectResume(DomainState.RUNNING_MIGRATED);
                e.qmp().cont();
                d.setState(new DomainState(DomainState.RUNNING, DomainState.RUNNING_MIGRATED));
            }
            if ((flags & MigrationParams.PERSIST_DEST) != 0) {
                m.define(persistentXml(params, d.current()));
            }
            if (job != null) {
                job.finish(JobInfo.COMPLETED, null);
            }
            LOG.info("incoming migration of {} finished in {} ms; the guest continues here", name,
                    (System.nanoTime() - t0) / 1_000_000);
            return new MigrationResults.Finish(d.ref(), new byte[0]);
        } catch (QmpException | LibvirtError ex) {
            if (job != null) {
                job.finish(cancelled ? JobInfo.CANCELLED : JobInfo.FAILED, ex.getMessage());
            }
            discard(d, e);
            throw ex instanceof LibvirtError le ? le : VirErrors.engine("incoming migration", name, (QmpException) ex);
        } finally {
            if (job != null) {
                ports.release(job.port);
                d.endJob(job);
            }
            m.replenishSpare();
        }
    }

    /**
     * Waits until an engine has left {@code inmigrate} (its incoming stream is read: a restore or a migration's
     * destination), woken by the engine's events through {@code job} and asking at most {@code pollMs} apart.
     *
     * @param job      the domain's job, whose signal the engine's events raise; null to ask every {@code pollMs}
     * @param ended    the error when the engine ends first
     * @param tooLong  the error when {@code timeout} passes first
     * @return the engine's status then ({@code running} when it continued the guest at the handover)
     * @throws QmpException when the engine does not answer
     */
    static RunStatus awaitLeftIncoming(Engine e, Job job, Duration timeout, long pollMs,
                                       Supplier<LibvirtError> ended, Supplier<LibvirtError> tooLong) {
        Job signals = job != null ? job : new Job(Job.OP_MIGRATION_IN);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long seen = signals.signals();
            if (!e.alive()) {
                throw ended.get();
            }
            RunStatus status = e.qmp().queryStatus();
            if (!status.incoming()) {
                return status;
            }
            if (System.nanoTime() > deadline) {
                throw tooLong.get();
            }
            signals.awaitSignal(seen, pollMs);
        }
    }

    private static boolean runningHere(Engine e) {
        try {
            return e.qmp().queryStatus().running();
        } catch (QmpException ex) {
            return false;
        }
    }

    private static void discard(Domain d, Engine e) {
        if (e == null) {
            return;
        }
        if (e.alive()) {
            d.expectExit(DomainState.SHUTOFF_FAILED);
            e.kill();
        }
        // Also when the engine ended by itself a moment ago: its end may still be on its way to the domain, and a
        // client looking right after Finish must find the incoming guest gone.
        Lifecycle.awaitShutoff(d, Duration.ofSeconds(5));
    }
}
