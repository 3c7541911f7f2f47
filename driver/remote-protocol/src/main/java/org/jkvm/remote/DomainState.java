package org.jkvm.remote;

/**
 * A domain state and its reason (virDomainState and the per-state reason enums), as DOMAIN_GET_STATE returns.
 *
 * @param state  {@link #RUNNING} and friends
 * @param reason the reason code for that state, e.g. {@link #RUNNING_BOOTED}
 */
public record DomainState(int state, int reason) {
    /** NOSTATE. */
    public static final int NOSTATE = 0;
    /** RUNNING. */
    public static final int RUNNING = 1;
    /** BLOCKED. */
    public static final int BLOCKED = 2;
    /** PAUSED. */
    public static final int PAUSED = 3;
    /** SHUTDOWN (shutting down). */
    public static final int SHUTDOWN = 4;
    /** SHUTOFF. */
    public static final int SHUTOFF = 5;
    /** CRASHED. */
    public static final int CRASHED = 6;
    /** PMSUSPENDED. */
    public static final int PMSUSPENDED = 7;

    /** RUNNING reason: booted. */
    public static final int RUNNING_BOOTED = 1;
    /** RUNNING reason: migrated. */
    public static final int RUNNING_MIGRATED = 2;
    /** RUNNING reason: restored. */
    public static final int RUNNING_RESTORED = 3;
    /** RUNNING reason: unpaused. */
    public static final int RUNNING_UNPAUSED = 5;
    /** RUNNING reason: migration canceled. */
    public static final int RUNNING_MIGRATION_CANCELED = 6;
    /** RUNNING reason: save canceled. */
    public static final int RUNNING_SAVE_CANCELED = 7;
    /** PAUSED reason: user. */
    public static final int PAUSED_USER = 1;
    /** PAUSED reason: migration. */
    public static final int PAUSED_MIGRATION = 2;
    /** PAUSED reason: save. */
    public static final int PAUSED_SAVE = 3;
    /** SHUTOFF reason: shutdown. */
    public static final int SHUTOFF_SHUTDOWN = 1;
    /** SHUTOFF reason: destroyed. */
    public static final int SHUTOFF_DESTROYED = 2;
    /** SHUTOFF reason: crashed. */
    public static final int SHUTOFF_CRASHED = 3;
    /** SHUTOFF reason: migrated. */
    public static final int SHUTOFF_MIGRATED = 4;
    /** SHUTOFF reason: saved. */
    public static final int SHUTOFF_SAVED = 5;
    /** SHUTOFF reason: failed. */
    public static final int SHUTOFF_FAILED = 6;
}
