package org.jkvm.driver.qmp;

/** Receives what an engine sends unasked. Called on the client's reader thread; implementations must not block. */
public interface QmpListener {
    /**
     * An asynchronous event such as {@code STOP}, {@code RESUME}, {@code SHUTDOWN} or {@code MIGRATION}.
     *
     * @param event the decoded event
     */
    default void onEvent(QmpEvent event) {
    }

    /**
     * The connection ended: the engine closed the socket (it exited or crashed) or the client was closed.
     *
     * @param reason a sentence saying why
     */
    default void onClose(String reason) {
    }
}
