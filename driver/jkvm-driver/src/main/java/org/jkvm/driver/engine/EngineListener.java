package org.jkvm.driver.engine;

import org.jkvm.driver.qmp.QmpEvent;

/** What an engine process reports to its domain. Called from background threads; must not block for long. */
public interface EngineListener {
    /** An event from the engine (STOP, RESUME, SHUTDOWN, MIGRATION, ...). */
    default void onEvent(QmpEvent event) {
    }

    /**
     * The engine is gone: its process exited or its QMP socket closed. Called exactly once per engine.
     *
     * @param exitCode the process exit status, or -1 when it cannot be known (a re-attached engine)
     * @param reason   a sentence saying what was seen
     */
    void onExit(int exitCode, String reason);
}
