package org.jkvm.driver.qmp;

import java.util.Locale;

/**
 * A migration job's status as {@code query-migrate} and the {@code MIGRATION} event spell it (QEMU's
 * {@code MigrationStatus}). {@link #NONE} stands for an answer without a status (no migration ever ran).
 */
public enum MigrationStatus {
    /** No migration has run in this engine ({@code query-migrate} answered without a status). */
    NONE,
    /** Connecting, handshake, dirty logging being enabled. */
    SETUP,
    /** Sending RAM. */
    ACTIVE,
    /** The destination took the guest (or the exec command took the whole stream). */
    COMPLETED,
    /** Ended by an error. */
    FAILED,
    /** Ended by {@code migrate_cancel}. */
    CANCELLED,
    /** A status this driver does not know (QEMU's postcopy or COLO states). */
    UNKNOWN;

    /** The QMP spelling, e.g. {@code completed}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The status QMP spells {@code wire}; null or empty is {@link #NONE}, anything else unknown {@link #UNKNOWN}. */
    public static MigrationStatus of(String wire) {
        if (wire == null || wire.isEmpty()) {
            return NONE;
        }
        for (MigrationStatus s : values()) {
            if (s != NONE && s != UNKNOWN && s.wireName().equals(wire)) {
                return s;
            }
        }
        return UNKNOWN;
    }

    /** Whether the job ended without moving the guest ({@link #FAILED} or {@link #CANCELLED}). */
    public boolean unsuccessful() {
        return this == FAILED || this == CANCELLED;
    }
}
