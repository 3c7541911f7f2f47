package org.jkvm.monitor;

import org.jkvm.migration.MigrationStatus;

/**
 * What a migration job of this engine reports to the monitors (QMP's {@code MIGRATION} and {@code MIGRATION_PASS}
 * events): the monitor module's own events, from {@link MigrationCommands}, apart from the engine's
 * ({@link org.jkvm.engine.EngineEvent}), which know nothing of migration jobs.
 */
sealed interface MigrationEvent {
    /** When it happened, in microseconds since the epoch. */
    long timestampMicros();

    /** The job changed status (setup, active, completed, failed, ...). */
    record Status(MigrationStatus status, long timestampMicros) implements MigrationEvent {
    }

    /** A RAM pass ended; {@code pass} counts the dirty-log syncs so far. */
    record Pass(long pass, long timestampMicros) implements MigrationEvent {
    }
}
