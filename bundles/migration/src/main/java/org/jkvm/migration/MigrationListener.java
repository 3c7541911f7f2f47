package org.jkvm.migration;

/**
 * Receives a migration job's events (the monitor turns them into QMP {@code MIGRATION} and
 * {@code MIGRATION_PASS} events). Called on the migration thread; implementations must return quickly and not
 * throw.
 */
public interface MigrationListener {
    /** The job entered {@code status}. */
    default void statusChanged(MigrationStatus status, MigrationStats stats) {
    }

    /** A dirty-log sync finished ({@code stats.dirtySyncCount()} is the pass number). */
    default void passCompleted(MigrationStats stats) {
    }

    /** A listener that ignores everything. */
    MigrationListener NONE = new MigrationListener() {
    };
}
