package org.jkvm.vmstate;

/**
 * Stops and restarts the guest's execution. Thread-safe; each method returns once the change has taken effect
 * (after {@link #pause()} no vCPU executes guest code and no device writes guest memory).
 */
public interface Pausable {
    /** Stops every vCPU; a no-op when already paused. */
    void pause();

    /** Restarts every vCPU; a no-op when already running. */
    void resume();

    /** Whether the guest is executing (not paused, not shut down). */
    boolean isRunning();
}
