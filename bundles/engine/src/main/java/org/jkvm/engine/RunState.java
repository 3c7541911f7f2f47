package org.jkvm.engine;

import java.util.Locale;

/**
 * The VM's run state, with QEMU's {@code query-status} names (docs/contracts.md §4).
 */
public enum RunState {
    /** Created and not yet started ({@code -S} before the first {@code cont}). */
    PRELAUNCH,
    /** The vCPU executes guest code. */
    RUNNING,
    /** Stopped by the monitor ({@code stop}) or by migration. */
    PAUSED,
    /** Waiting for an incoming migration. */
    INMIGRATE,
    /** The outgoing migration's final stop-and-copy is in progress. */
    FINISH_MIGRATE,
    /** The outgoing migration completed; the source stays stopped. */
    POSTMIGRATE,
    /** The guest shut down or failed; the process is about to exit. */
    SHUTDOWN;

    /** The QMP status string, e.g. {@code "finish-migrate"}. */
    public String qmpName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Whether QMP reports {@code "running": true}. */
    public boolean running() {
        return this == RUNNING;
    }
}
