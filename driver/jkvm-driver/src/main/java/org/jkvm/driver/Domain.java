package org.jkvm.driver;

import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;

import org.jkvm.driver.engine.Engine;
import org.jkvm.driver.engine.EngineListener;
import org.jkvm.driver.qmp.QmpEvent;
import org.jkvm.remote.DomainRef;
import org.jkvm.remote.DomainState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One domain's runtime record: its definitions, state with reason, id, engine and job. Field access is guarded
 * by the object's monitor and kept short; long operations (start, save) additionally hold {@link #opLock} so
 * they run one at a time while state and job queries stay answerable.
 */
final class Domain implements EngineListener {
    private static final Logger LOG = LoggerFactory.getLogger(Domain.class);
    /** What libvirt's QEMU driver reports as an unlimited migration speed, in MiB/s. */
    static final long UNLIMITED_SPEED_MIB = 8796093022207L;
    /** VIR_DOMAIN_PAUSED_STARTING_UP: paused while an incoming stream (restore, migration) is read. */
    static final int PAUSED_STARTING_UP = 11;

    /** Held by start, stop, save and restore so they do not overlap. */
    final ReentrantLock opLock = new ReentrantLock();
    final UUID uuid;
    private final ExitHandler exitHandler;
    private final Events events;

    private String name;
    private Definition persistent;
    private Definition live;
    private boolean autostart;
    private DomainState state = new DomainState(DomainState.SHUTOFF, 0);
    private int id = DomainRef.INACTIVE_ID;
    private Engine engine;
    /** False from an engine's attachment until its end has been fully handled (a transient domain removed). */
    private volatile boolean exitSettled = true;
    private Job job;
    private Job lastJob;
    private long maxSpeedMiB = UNLIMITED_SPEED_MIB;
    private long maxDowntimeMs = 300;
    /** The reason an engine exit should be reported with (destroyed, saved, migrated), or -1 to infer it. */
    private int exitReason = -1;
    private boolean guestShutdown;
    private int pauseReason = DomainState.PAUSED_USER;
    private int resumeReason = DomainState.RUNNING_UNPAUSED;

    /** Called when the engine of a domain has ended and the domain is shut off. */
    interface ExitHandler {
        void engineEnded(Domain d);
    }

    Domain(Definition def, boolean persistent, ExitHandler exitHandler, Events events) {
        this.uuid = def.uuid();
        this.name = def.name();
        this.exitHandler = exitHandler;
        this.events = events;
        if (persistent) {
            this.persistent = def;
        } else {
            this.live = def;
        }
    }

    synchronized DomainRef ref() {
        return new DomainRef(name, uuid, id);
    }

    synchronized String name() {
        return name;
    }

    synchronized Definition persistent() {
        return persistent;
    }

    synchronized void setPersistent(Definition def) {
        persistent = def;
        if (def != null) {
            name = def.name();
        }
    }

    /** The definition in force: the live one while active, else the persistent one. */
    synchronized Definition current() {
        return live != null && state.state() != DomainState.SHUTOFF ? live : persistent != null ? persistent : live;
    }

    synchronized DomainState state() {
        return state;
    }

    synchronized boolean active() {
        return state.state() != DomainState.SHUTOFF && state.state() != DomainState.NOSTATE;
    }

    synchronized int id() {
        return id;
    }

    synchronized Engine engine() {
        return engine;
    }

    synchronized boolean autostart() {
        return autostart;
    }

    synchronized void setAutostart(boolean on) {
        autostart = on;
    }

    synchronized Job job() {
        return job;
    }

    synchronized Job lastJob() {
        return lastJob;
    }

    synchronized void startJob(Job j) {
        job = j;
    }

    synchronized void endJob(Job j) {
        if (job == j) {
            job = null;
        }
        lastJob = j;
    }

    synchronized long maxSpeedMiB() {
        return maxSpeedMiB;
    }

    synchronized void setMaxSpeedMiB(long v) {
        maxSpeedMiB = v;
    }

    synchronized long maxDowntimeMs() {
        return maxDowntimeMs;
    }

    synchronized void setMaxDowntimeMs(long v) {
        maxDowntimeMs = v;
    }

    /** Records a started (or re-attached) engine. */
    synchronized void attached(Engine e, Definition liveDef, int newId, DomainState s) {
        exitSettled = false;
        engine = e;
        live = liveDef;
        id = newId;
        change(s);
        exitReason = -1;
        guestShutdown = false;
    }

    synchronized void setState(DomainState s) {
        change(s);
    }

    /** Moves an attached domain to {@code newState} unless it is there already; the caller holds the monitor. */
    private void changeIfAttached(int newState, int reason) {
        if (engine != null && state.state() != newState) {
            change(new DomainState(newState, reason));
        }
    }

    /** Sets the state and reports the transition as a lifecycle event; the caller holds the monitor. */
    private void change(DomainState s) {
        DomainState old = state;
        state = s;
        events.transition(new DomainRef(name, uuid, s.state() == DomainState.SHUTOFF ? DomainRef.INACTIVE_ID : id),
                old, s);
    }

    /** The reason the next STOP event should carry (user, save, migration). */
    synchronized void expectPause(int reason) {
        pauseReason = reason;
    }

    /** The reason the next RESUME event should carry. */
    synchronized void expectResume(int reason) {
        resumeReason = reason;
    }

    /** Sets how the coming engine exit is reported (e.g. {@link DomainState#SHUTOFF_DESTROYED}). */
    synchronized void expectExit(int reason) {
        exitReason = reason;
    }

    @Override
    public void onEvent(QmpEvent event) {
        synchronized (this) {
            // Only real transitions of an attached engine count: the engine may start its vCPU while the driver
            // is already connected (before attached() records "running (booted)"), and that RESUME is no resume.
            if (event instanceof QmpEvent.Stop) {
                changeIfAttached(DomainState.PAUSED, pauseReason);
            } else if (event instanceof QmpEvent.Resume) {
                changeIfAttached(DomainState.RUNNING, resumeReason);
            } else if (event instanceof QmpEvent.Shutdown) {
                guestShutdown = true;
            }
            // MIGRATION and MIGRATION_PASS figures are read through query-migrate by the job that runs.
            boolean wakesJob = event instanceof QmpEvent.Migration || event instanceof QmpEvent.Stop
                    || event instanceof QmpEvent.Resume;
            if (job != null && wakesJob) {
                // Wakes the job's wait at once, so it sees the end of a migration without a poll's delay.
                job.signal();
            }
        }
        LOG.debug("domain {}: event {}", name, event);
    }

    @Override
    public void onExit(int exitCode, String reason) {
        synchronized (this) {
            int r;
            if (exitReason >= 0) {
                r = exitReason;
            } else if (guestShutdown || exitCode == 0) {
                r = DomainState.SHUTOFF_SHUTDOWN;
            } else {
                r = DomainState.SHUTOFF_CRASHED;
            }
            if (r == DomainState.SHUTOFF_CRASHED) {
                LOG.warn("domain {} crashed: {} (exit status {})", name, reason, exitCode);
            } else {
                LOG.info("domain {} is shut off: {}", name, reason);
            }
            change(new DomainState(DomainState.SHUTOFF, r));
            id = DomainRef.INACTIVE_ID;
            engine = null;
            exitReason = -1;
            guestShutdown = false;
            pauseReason = DomainState.PAUSED_USER;
            resumeReason = DomainState.RUNNING_UNPAUSED;
        }
        exitHandler.engineEnded(this);
        exitSettled = true;
    }

    /** Whether the last engine's end has been fully handled (true when no engine was ever attached). */
    boolean exitSettled() {
        return exitSettled;
    }
}
