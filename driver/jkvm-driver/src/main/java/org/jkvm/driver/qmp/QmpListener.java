package org.jkvm.driver.qmp;

import java.util.Map;

/** Receives what an engine sends unasked. Called on the client's reader thread; implementations must not block. */
public interface QmpListener {
    /**
     * An asynchronous QMP event such as {@code STOP}, {@code RESUME}, {@code SHUTDOWN} or {@code MIGRATION}.
     *
     * @param event the event name
     * @param data  the event's {@code data} object (empty when absent)
     */
    default void onEvent(String event, Map<String, Object> data) {
    }

    /**
     * The connection ended: the engine closed the socket (it exited or crashed) or the client was closed.
     *
     * @param reason a sentence saying why
     */
    default void onClose(String reason) {
    }
}
