package org.jkvm.driver.qmp;

/**
 * The answer to {@code query-status}.
 *
 * @param state   the run state ({@code status})
 * @param running whether the guest's vCPUs run ({@code running}; true exactly in {@link RunState#RUNNING})
 */
public record RunStatus(RunState state, boolean running) {
    /** Whether the engine still waits for its incoming stream ({@link RunState#INMIGRATE}). */
    public boolean incoming() {
        return state == RunState.INMIGRATE;
    }
}
