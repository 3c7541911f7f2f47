package org.jkvm.driver.engine;

import java.util.Map;

/** What an engine process reports to its domain. Called from background threads; must not block for long. */
public interface EngineListener {
    /** A QMP event from the engine (STOP, RESUME, SHUTDOWN, MIGRATION, ...). */
    default void onEvent(String event, Map<String, Object> data) {
    }

    /**
     * The engine is gone: its process exited or its QMP socket closed. Called exactly once per engine.
     *
     * @param exitCode the process exit status, or -1 when it cannot be known (a re-attached engine)
     * @param reason   a sentence saying what was seen
     */
    void onExit(int exitCode, String reason);
}
