package org.jkvm.driver;

import java.time.Duration;
import java.util.List;

import org.jkvm.driver.engine.Engine;
import org.jkvm.driver.qmp.MigrationCapability;
import org.jkvm.driver.qmp.MigrationParameters;
import org.jkvm.driver.qmp.QmpException;
import org.jkvm.remote.DomainState;
import org.jkvm.remote.JobInfo;
import org.jkvm.remote.LibvirtError;
import org.jkvm.remote.MigrationParams;
import org.jkvm.remote.MigrationResults;
import org.jkvm.remote.TypedParam;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source side of libvirt's migration protocol v3 (libvirt-rpc reference section 7.4), mapped onto the
 * engine's pre-copy migration: Begin starts an outgoing job and hands out the XML; Perform runs the engine's
 * {@code migrate} to the destination's URI with the bandwidth asked for and blocks until it ends (job info shows
 * its figures meanwhile); Confirm ends the source guest after success or continues it after failure. A failed or
 * aborted Perform continues the source guest at once, so "upon failure the guest continues on the source" holds.
 */
final class Migration {
    private static final Logger LOG = LoggerFactory.getLogger(Migration.class);
    /** Flags jkvm implements; every other bit is refused before anything moves. */
    static final int SUPPORTED = MigrationParams.LIVE | MigrationParams.PEER2PEER | MigrationParams.PERSIST_DEST
            | MigrationParams.UNDEFINE_SOURCE | MigrationParams.PAUSED | MigrationParams.CHANGE_PROTECTION
            | MigrationParams.OFFLINE | MigrationParams.ABORT_ON_ERROR | MigrationParams.AUTO_CONVERGE;
    /** libvirt's names of the flag bits (VIR_MIGRATE_...), bit 0 first. */
    private static final String[] FLAG_NAMES = {"LIVE", "PEER2PEER", "TUNNELLED", "PERSIST_DEST", "UNDEFINE_SOURCE",
        "PAUSED", "NON_SHARED_DISK", "NON_SHARED_INC", "CHANGE_PROTECTION", "UNSAFE", "OFFLINE", "COMPRESSED",
        "ABORT_ON_ERROR", "AUTO_CONVERGE", "RDMA_PIN_ALL", "POSTCOPY", "TLS", "PARALLEL",
        "NON_SHARED_SYNCHRONOUS_WRITES", "POSTCOPY_RESUME", "ZEROCOPY"};
    /** The virsh migrate option that sets each bit, bit 0 first. */
    private static final String[] VIRSH_OPTIONS = {"--live", "--p2p", "--tunnelled", "--persistent",
        "--undefinesource", "--suspend", "--copy-storage-all", "--copy-storage-inc", "--change-protection", "--unsafe",
        "--offline", "--compressed", "--abort-on-error", "--auto-converge", "--rdma-pin-all", "--postcopy", "--tls",
        "--parallel", "--copy-storage-synchronous-writes", "--postcopy-resume", "--zerocopy"};

    private final DomainManager m;

    Migration(DomainManager m) {
        this.m = m;
    }

    /**
     * Refuses flags jkvm does not implement with 74 ARGUMENT_UNSUPPORTED, naming each by its virsh option and its
     * libvirt constant (API clients such as CloudStack's agent set the constants) and saying to drop them.
     */
    static void checkFlags(int flags) {
        int bad = flags & ~SUPPORTED;
        if (bad == 0) {
            return;
        }
        StringBuilder named = new StringBuilder();
        StringBuilder options = new StringBuilder();
        for (int i = 0; i < 32; i++) {
            if ((bad & (1 << i)) == 0) {
                continue;
            }
            String sep = named.length() == 0 ? "" : ", ";
            if (i < FLAG_NAMES.length) {
                named.append(sep).append(VIRSH_OPTIONS[i]).append(" (VIR_MIGRATE_").append(FLAG_NAMES[i]).append(')');
                options.append(sep).append(VIRSH_OPTIONS[i]);
            } else {
                String hex = "0x" + Integer.toHexString(1 << i);
                named.append(sep).append(hex).append(" (unknown to jkvm)");
                options.append(sep).append(hex);
            }
        }
        boolean one = Integer.bitCount(bad) == 1;
        throw LibvirtError.argumentUnsupported("migration flag" + (one ? " " : "s ") + named + (one ? " is" : " are")
                + " not supported by jkvm, which migrates pre-copy and uncompressed over plain tcp with shared "
                + "storage; drop " + options + " (or clear " + (one ? "that flag" : "those flags")
                + " in the API call) and migrate again");
    }

    /**
     * As libvirt does with QEMU's {@code blocked-reasons}: a guest its engine cannot migrate (e.g. its CPU exposes
     * nested virtualization) is refused in Begin, before a destination is involved, with the engine's reason.
     */
    private static void refuseIfBlocked(Domain d, Engine e) {
        List<String> reasons;
        try {
            reasons = e.qmp().queryMigrate().blockedReasons();
        } catch (QmpException ex) {
            throw VirErrors.engine("migration", d.name(), ex);
        }
        if (!reasons.isEmpty()) {
            throw LibvirtError.operationInvalid("cannot migrate domain '" + d.name() + "': " + reasons.get(0));
        }
    }

    /** Begin: checks the domain can migrate, starts the outgoing job, returns the destination's XML. */
    MigrationResults.Begin begin(Domain d, List<TypedParam> params, int flags) {
        checkFlags(flags);
        boolean offline = (flags & MigrationParams.OFFLINE) != 0;
        Definition def;
        if (offline) {
            if (d.persistent() == null) {
                throw LibvirtError.operationInvalid("offline migration needs a persistent domain");
            }
            if ((flags & MigrationParams.PERSIST_DEST) == 0) {
                throw LibvirtError.invalidArg("offline migration requires --persistent");
            }
            def = d.persistent();
        } else {
            refuseIfBlocked(d, m.lifecycle.runningEngine(d));
            def = d.current();
        }
        if (d.job() != null) {
            throw LibvirtError.operationInvalid("domain '" + d.name() + "' has an active job; wait for it or abort it");
        }
        String xml = def.xml();
        String destXml = TypedParam.string(params, MigrationParams.DEST_XML).orElse(null);
        if (destXml != null && !destXml.isBlank()) {
            Definition dest = m.definitions.parse(destXml);
            m.definitions.abiCheck(def, dest);
            xml = dest.xml();
        }
        Job job = new Job(Job.OP_MIGRATION_OUT);
        job.wasRunning = d.state().state() == DomainState.RUNNING;
        job.flags = flags;
        d.startJob(job);
        LOG.info("migration of {} begins (flags 0x{})", d.name(), Integer.toHexString(flags));
        return new MigrationResults.Begin(new byte[0], xml);
    }

    /** Perform: streams the guest to {@code migrate_uri}; blocks until the engine has sent everything. */
    byte[] perform(Domain d, List<TypedParam> params, int flags) {
        long t0 = System.nanoTime();
        checkFlags(flags);
        Job job = d.job();
        if (job == null || job.operation != Job.OP_MIGRATION_OUT) {
            begin(d, params, flags);
            job = d.job();
        }
        if ((flags & MigrationParams.OFFLINE) != 0) {
            return new byte[0];
        }
        String uri = TypedParam.string(params, MigrationParams.URI).orElseThrow(() ->
                LibvirtError.invalidArg("no migrate_uri for the migration of '" + d.name() + "'; the destination's "
                        + "Prepare gave none"));
        Engine e = m.lifecycle.runningEngine(d);
        try {
            long bw = TypedParam.number(params, MigrationParams.BANDWIDTH).orElse(0L);
            if (bw > 0) {
                e.qmp().setMigrationParameters(MigrationParameters.NONE.withMaxBandwidth(bw << 20));
                d.setMaxSpeedMiB(bw);
            }
            if ((flags & MigrationParams.AUTO_CONVERGE) != 0) {
                e.qmp().setMigrationCapability(MigrationCapability.AUTO_CONVERGE, true);
            }
            d.expectPause(DomainState.PAUSED_MIGRATION);
            e.qmp().migrate(uri);
            m.saveRestore.awaitMigration(d, e, job, "migration");
            job.handedOver = true;
            d.setState(new DomainState(DomainState.PAUSED, DomainState.PAUSED_MIGRATION));
            LOG.info("migration of {} to {} sent in {} ms ({} ms in Perform)", d.name(), uri, job.elapsedMs(),
                    (System.nanoTime() - t0) / 1_000_000);
            return new byte[0];
        } catch (QmpException | LibvirtError ex) {
            boolean aborted = job.abortRequested();
            job.finish(aborted ? JobInfo.CANCELLED : JobInfo.FAILED, ex.getMessage());
            continueSource(d, job);
            d.endJob(job);
            if (aborted) {
                throw LibvirtError.aborted("migration of domain '" + d.name() + "' was cancelled by the user");
            }
            throw ex instanceof LibvirtError le ? le : VirErrors.engine("migration", d.name(), (QmpException) ex);
        }
    }

    /** Confirm: after success the source guest ends (shut off, migrated); after failure it continues. */
    void confirm(Domain d, int flags, boolean cancelled) {
        long t0 = System.nanoTime();
        Job job = d.job();
        boolean offline = (flags & MigrationParams.OFFLINE) != 0;
        if (cancelled) {
            if (job != null) {
                boolean handedOver = job.handedOver;
                job.finish(JobInfo.CANCELLED, handedOver ? "the migration failed after the guest was handed over"
                        : "the destination did not take the guest");
                if (!handedOver) {
                    continueSource(d, job);
                }
                d.endJob(job);
                if (handedOver) {
                    // The one exception of issue 3: once the engine handed the guest over, the destination may run
                    // it (it continues at the handover), so resuming here could run two copies.
                    throw VirErrors.operationFailed("the migration of '" + d.name() + "' failed after the source "
                            + "had handed the guest over, so it is not resumed here; check the destination (the "
                            + "guest may run there) and destroy the copy that should not run", null);
                }
            }
            return;
        }
        if (job != null) {
            job.finish(JobInfo.COMPLETED, null);
            d.endJob(job);
        }
        Engine e = d.engine();
        if (!offline && e != null) {
            d.expectExit(DomainState.SHUTOFF_MIGRATED);
            try {
                e.qmp().quit();
            } catch (QmpException ex) {
                LOG.debug("quit after migration of {}: {}", d.name(), ex.getMessage());
            }
            if (!e.awaitExit(Duration.ofSeconds(5))) {
                e.kill();
            }
            Lifecycle.awaitShutoff(d, Duration.ofSeconds(5));
        }
        if ((flags & MigrationParams.UNDEFINE_SOURCE) != 0 && d.persistent() != null) {
            m.undefine(d.ref(), 0);
        }
        LOG.info("migration of {} confirmed in {} ms; the source guest has ended", d.name(),
                (System.nanoTime() - t0) / 1_000_000);
    }

    /** Continues the source guest after a failed or cancelled migration, when it was running before. */
    private void continueSource(Domain d, Job job) {
        Engine e = d.engine();
        if (e == null || !e.alive()) {
            return;
        }
        try {
            // Only a guest the migration stopped is continued; one that never stopped keeps its state and reason.
            if (job.wasRunning && d.state().state() == DomainState.PAUSED) {
                d.expectResume(DomainState.RUNNING_MIGRATION_CANCELED);
                e.qmp().cont();
                d.setState(new DomainState(DomainState.RUNNING, DomainState.RUNNING_MIGRATION_CANCELED));
            }
        } catch (QmpException ex) {
            LOG.warn("cannot continue {} on the source after a failed migration: {}", d.name(), ex.getMessage());
        }
    }
}
