package org.jkvm.engine;

/**
 * The VM's run state: QEMU's set (docs/contracts.md §4), whose names the monitor module gives them on the wire.
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

    /** Whether the vCPU executes guest code in this state. */
    public boolean running() {
        return this == RUNNING;
    }
}
