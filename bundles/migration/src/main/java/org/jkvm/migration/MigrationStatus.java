package org.jkvm.migration;

/** The states of a migration job, with QEMU's {@code query-migrate} names ({@link #wireName()}). */
public enum MigrationStatus {
    /** Connecting, handshake, dirty logging being enabled. */
    SETUP,
    /** Sending RAM while the guest runs (or the final pass while it is paused). */
    ACTIVE,
    /** The destination acknowledged (or, over exec, the stream was written and the command exited 0). */
    COMPLETED,
    /** Ended by an error before completion; the source guest runs again if it was running. */
    FAILED,
    /** Ended by {@code migrate_cancel}; the source guest runs again if it was running. */
    CANCELLED;

    /** The lower-case name QMP and HMP print. */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Whether the job has ended. */
    public boolean isFinal() {
        return this == COMPLETED || this == FAILED || this == CANCELLED;
    }
}
