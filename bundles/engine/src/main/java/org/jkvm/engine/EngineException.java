package org.jkvm.engine;

/**
 * The engine's one exception type: a configuration, set-up or run-control problem. The message is one sentence a
 * user can act on (e.g. "invalid -m value 'abc': give a size like 256M, 1G or 512 (MiB)"); causes are chained,
 * not repeated.
 */
public final class EngineException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message one sentence naming the setting or step and what to do */
    public EngineException(String message) {
        super(message);
    }

    /** @param message one sentence; {@code cause} is chained, not repeated */
    public EngineException(String message, Throwable cause) {
        super(message, cause);
    }
}
