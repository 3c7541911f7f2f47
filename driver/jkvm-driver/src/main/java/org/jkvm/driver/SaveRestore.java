package org.jkvm.driver;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.jkvm.driver.engine.Engine;
import org.jkvm.driver.qmp.MigrationInfo;
import org.jkvm.driver.qmp.MigrationStatus;
import org.jkvm.driver.qmp.QmpException;
import org.jkvm.remote.DomainState;
import org.jkvm.remote.JobInfo;
import org.jkvm.remote.LibvirtError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code virsh save} and {@code virsh restore}: the seed's savevm/loadvm to an external file. Save pauses the
 * guest, writes a {@link SaveFile} header with the domain XML, and has the engine append its migration stream
 * ({@code migrate exec:cat >> FILE}); the job's progress is visible through job info meanwhile. Restore starts
 * an engine with {@code -incoming exec:tail -c +OFFSET FILE}, then continues the guest when it was running.
 */
final class SaveRestore {
    private static final Logger LOG = LoggerFactory.getLogger(SaveRestore.class);
    private static final long POLL_MS = 50;
    private static final Duration RESTORE_TIMEOUT = Duration.ofMinutes(30);

    private final DomainManager m;

    SaveRestore(DomainManager m) {
        this.m = m;
    }

    /** DOMAIN_SAVE_FLAGS: flags 0x1 bypass-cache (ignored), 0x2 restore running, 0x4 restore paused. */
    void save(Domain d, Path file, String dxml, int flags) {
        if ((flags & ~0x7) != 0 || (flags & 0x6) == 0x6) {
            throw LibvirtError.unsupportedFlags(flags, "virDomainSaveFlags");
        }
        d.opLock.lock();
        try {
            Engine e = m.lifecycle.runningEngine(d);
            if (d.job() != null) {
                throw LibvirtError.operationInvalid("domain has an active job; wait for it or abort it first");
            }
            Definition def = d.current();
            String xml = def.xml();
            if (dxml != null && !dxml.isBlank()) {
                Definition alt = m.definitions.parse(dxml);
                if (!alt.uuid().equals(def.uuid()) || !alt.name().equals(def.name())) {
                    throw LibvirtError.invalidArg("the XML given with save must keep the domain's name '"
                            + def.name() + "' and uuid " + def.uuid());
                }
                xml = alt.xml();
            }
            boolean wasRunning = d.state().state() == DomainState.RUNNING;
            boolean runAfter = (flags & 0x2) != 0 || (flags & 0x4) == 0 && wasRunning;
            Path abs = file.toAbsolutePath();
            try {
                SaveFile.writeHeader(abs, xml, runAfter);
            } catch (IOException ex) {
                throw VirErrors.operationFailed("cannot write save file '" + abs + "': " + ex.getMessage(), ex);
            }
            runSave(d, e, abs, wasRunning);
        } finally {
            d.opLock.unlock();
        }
    }

    private void runSave(Domain d, Engine e, Path file, boolean wasRunning) {
        Job job = new Job(Job.OP_SAVE);
        d.startJob(job);
        try {
            if (wasRunning) {
                d.expectPause(DomainState.PAUSED_SAVE);
                e.qmp().stop();
            }
            d.setState(new DomainState(DomainState.PAUSED, DomainState.PAUSED_SAVE));
            e.qmp().migrate("exec:cat >> " + SaveFile.shellQuote(file));
            awaitMigration(d, e, job, "save");
            job.finish(JobInfo.COMPLETED, null);
            d.expectExit(DomainState.SHUTOFF_SAVED);
            try {
                e.qmp().quit();
            } catch (QmpException ex) {
                LOG.debug("quit after save of {}: {}", d.name(), ex.getMessage());
            }
            if (!e.awaitExit(Duration.ofSeconds(5))) {
                e.kill();
            }
            Lifecycle.awaitShutoff(d, Duration.ofSeconds(5));
            LOG.info("saved domain {} to {} in {} ms", d.name(), file, job.elapsedMs());
        } catch (QmpException | LibvirtError ex) {
            boolean aborted = job.abortRequested();
            job.finish(aborted ? JobInfo.CANCELLED : JobInfo.FAILED, ex.getMessage());
            try {
                Files.deleteIfExists(file);
            } catch (IOException io) {
                LOG.warn("cannot remove the partial save file {}", file);
            }
            resumeAfterFailure(d, e, wasRunning);
            if (aborted) {
                throw LibvirtError.aborted("saving domain '" + d.name() + "' was cancelled by the user");
            }
            throw ex instanceof LibvirtError le ? le : VirErrors.engine("save", d.name(), (QmpException) ex);
        } finally {
            d.endJob(job);
        }
    }

    private void resumeAfterFailure(Domain d, Engine e, boolean wasRunning) {
        if (!e.alive()) {
            return;
        }
        try {
            if (wasRunning) {
                d.expectResume(DomainState.RUNNING_SAVE_CANCELED);
                e.qmp().cont();
                d.setState(new DomainState(DomainState.RUNNING, DomainState.RUNNING_SAVE_CANCELED));
            } else {
                d.setState(new DomainState(DomainState.PAUSED, DomainState.PAUSED_USER));
            }
        } catch (QmpException ex) {
            LOG.warn("cannot resume {} after a failed save: {}", d.name(), ex.getMessage());
        }
    }

    /**
     * Reads {@code query-migrate} into the job until the engine reports completed, woken by the engine's events
     * and polling at most {@code POLL_MS} apart; cancels on an abort request.
     *
     * @throws LibvirtError when the migration fails, is cancelled, or the engine dies
     */
    void awaitMigration(Domain d, Engine e, Job job, String what) {
        boolean cancelSent = false;
        while (true) {
            long seen = job.signals();
            if (!e.alive()) {
                throw VirErrors.operationFailed("the engine of domain '" + d.name() + "' ended during " + what, null);
            }
            if (job.abortRequested() && !cancelSent) {
                e.qmp().migrateCancel();
                cancelSent = true;
            }
            MigrationInfo q = e.qmp().queryMigrate();
            job.update(q);
            if (q.status() == MigrationStatus.COMPLETED) {
                return;
            }
            if (q.status().unsuccessful()) {
                String why = q.errorDesc().map(desc -> ": " + desc).orElse("");
                throw VirErrors.operationFailed(what + " of domain '" + d.name() + "' " + q.status().wireName() + why,
                        null);
            }
            // The engine's MIGRATION event (or an abort request) ends the wait at once; else figures every POLL_MS.
            job.awaitSignal(seen, POLL_MS);
        }
    }

    /** DOMAIN_RESTORE_FLAGS: flags 0x1 bypass-cache (ignored), 0x2 running, 0x4 paused. */
    void restore(Path file, String dxml, int flags) {
        if ((flags & ~0x7) != 0 || (flags & 0x6) == 0x6) {
            throw LibvirtError.unsupportedFlags(flags, "virDomainRestoreFlags");
        }
        Path abs = file.toAbsolutePath();
        SaveFile header = SaveFile.read(abs);
        Definition def = m.definitions.parse(dxml != null && !dxml.isBlank() ? dxml : header.xml());
        m.kvm.requireFor(def);  // before a transient domain is added for it
        Domain d;
        try {
            d = m.byUuid(def.uuid());
        } catch (LibvirtError absent) {
            d = m.add(def, false);
        }
        d.opLock.lock();
        try {
            if (d.active()) {
                throw LibvirtError.operationInvalid("domain '" + def.name() + "' is already active");
            }
            String incoming = "exec:tail -c +" + (header.streamOffset() + 1) + " " + SaveFile.shellQuote(abs);
            Engine e = m.lifecycle.launch(d, def, List.of("-S", "-incoming", incoming),
                    new DomainState(DomainState.PAUSED, Domain.PAUSED_STARTING_UP));
            boolean run = (flags & 0x2) != 0 || (flags & 0x4) == 0 && header.running();
            finishRestore(d, e, run);
        } finally {
            d.opLock.unlock();
        }
    }

    private void finishRestore(Domain d, Engine e, boolean run) {
        Job job = new Job(Job.OP_RESTORE);
        d.startJob(job);
        try {
            Incoming.awaitLeftIncoming(e, job, RESTORE_TIMEOUT, POLL_MS, () -> VirErrors.operationFailed(
                    "the engine of domain '" + d.name() + "' ended while reading the save file; see "
                    + e.paths().log(), null), () -> VirErrors.operationFailed("restore of domain '" + d.name()
                    + "' did not finish within " + RESTORE_TIMEOUT.toMinutes() + " minutes", null));
            if (run) {
                d.expectResume(DomainState.RUNNING_RESTORED);
                e.qmp().cont();
                d.setState(new DomainState(DomainState.RUNNING, DomainState.RUNNING_RESTORED));
            } else {
                d.setState(new DomainState(DomainState.PAUSED, DomainState.PAUSED_USER));
            }
            job.finish(JobInfo.COMPLETED, null);
            LOG.info("restored domain {} ({}) in {} ms", d.name(), run ? "running" : "paused", job.elapsedMs());
        } catch (QmpException | LibvirtError ex) {
            job.finish(JobInfo.FAILED, ex.getMessage());
            d.expectExit(DomainState.SHUTOFF_FAILED);
            e.kill();
            Lifecycle.awaitShutoff(d, Duration.ofSeconds(5));
            throw ex instanceof LibvirtError le ? le : VirErrors.engine("restore", d.name(), (QmpException) ex);
        } finally {
            d.endJob(job);
            m.replenishSpare();
        }
    }
}
