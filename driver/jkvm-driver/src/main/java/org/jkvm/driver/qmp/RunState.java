package org.jkvm.driver.qmp;

import java.util.Locale;

/**
 * An engine's run state as {@code query-status} names it (docs/contracts.md section 4, QEMU's {@code RunState}).
 * States QEMU has and jkvm's engine never reports (io-error, watchdog, ...) read as {@link #UNKNOWN}.
 */
public enum RunState {
    /** Created with {@code -S} and not yet continued. */
    PRELAUNCH,
    /** The guest's vCPUs run. */
    RUNNING,
    /** Stopped by {@code stop}, by a save, or by a migration that ended without handing the guest over. */
    PAUSED,
    /** Waiting for (or reading) an incoming migration stream or a save file. */
    INMIGRATE,
    /** An outgoing migration's final stop-and-copy. */
    FINISH_MIGRATE,
    /** An outgoing migration completed; the guest stays stopped here. */
    POSTMIGRATE,
    /** The guest shut down or failed; the engine is about to exit. */
    SHUTDOWN,
    /** A state this driver does not know. */
    UNKNOWN;

    /** The QMP spelling, e.g. {@code finish-migrate} ({@code unknown} for {@link #UNKNOWN}). */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The state QMP spells {@code wire}, or {@link #UNKNOWN}. */
    public static RunState of(String wire) {
        for (RunState s : values()) {
            if (s != UNKNOWN && s.wireName().equals(wire)) {
                return s;
            }
        }
        return UNKNOWN;
    }
}
