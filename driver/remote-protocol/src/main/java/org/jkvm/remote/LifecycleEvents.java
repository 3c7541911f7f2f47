package org.jkvm.remote;

/** Lifecycle event codes (virDomainEventType) and the detail codes jkvm emits; numbers never change. */
public final class LifecycleEvents {
    private LifecycleEvents() {
    }

    /** The event id virsh registers for lifecycle events (VIR_DOMAIN_EVENT_ID_LIFECYCLE). */
    public static final int EVENT_ID_LIFECYCLE = 0;

    /** DEFINED; details 0 added, 1 updated. */
    public static final int DEFINED = 0;
    /** UNDEFINED; detail 0 removed. */
    public static final int UNDEFINED = 1;
    /** STARTED; details 0 booted, 1 migrated, 2 restored. */
    public static final int STARTED = 2;
    /** SUSPENDED; details 0 paused, 1 migrated. */
    public static final int SUSPENDED = 3;
    /** RESUMED; details 0 unpaused, 1 migrated. */
    public static final int RESUMED = 4;
    /** STOPPED; details 0 shutdown, 1 destroyed, 2 crashed, 3 migrated, 4 saved, 5 failed. */
    public static final int STOPPED = 5;
    /** SHUTDOWN (the guest is shutting down). */
    public static final int SHUTDOWN = 6;
    /** PMSUSPENDED. */
    public static final int PMSUSPENDED = 7;
    /** CRASHED. */
    public static final int CRASHED = 8;
}
