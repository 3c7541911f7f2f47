package org.jkvm.remote;

/**
 * CONNECT_SUPPORTS_FEATURE numbers (VIR_DRV_FEATURE_*) and the answers jkvm gives by default.
 *
 * <p>virsh chooses its migration protocol from these answers (reference §3.3 and §7.3): p2p needs 4, the
 * parameter-based v3 procedures need 13 on both ends, libvirt-java's {@code Domain.migrate} needs 6.
 */
public final class Features {
    private Features() {
    }

    /** MIGRATION_V1. */
    public static final int MIGRATION_V1 = 1;
    /** MIGRATION_V2. */
    public static final int MIGRATION_V2 = 3;
    /** MIGRATION_P2P. */
    public static final int MIGRATION_P2P = 4;
    /** MIGRATION_DIRECT. */
    public static final int MIGRATION_DIRECT = 5;
    /** MIGRATION_V3. */
    public static final int MIGRATION_V3 = 6;
    /** MIGRATE_CHANGE_PROTECTION. */
    public static final int MIGRATE_CHANGE_PROTECTION = 7;
    /** FD_PASSING. */
    public static final int FD_PASSING = 8;
    /** TYPED_PARAM_STRING. */
    public static final int TYPED_PARAM_STRING = 9;
    /** PROGRAM_KEEPALIVE. */
    public static final int PROGRAM_KEEPALIVE = 10;
    /** XML_MIGRATABLE. */
    public static final int XML_MIGRATABLE = 11;
    /** MIGRATION_OFFLINE. */
    public static final int MIGRATION_OFFLINE = 12;
    /** MIGRATION_PARAMS. */
    public static final int MIGRATION_PARAMS = 13;
    /** REMOTE_EVENT_CALLBACK. */
    public static final int REMOTE_EVENT_CALLBACK = 14;
    /** REMOTE_CLOSE_CALLBACK. */
    public static final int REMOTE_CLOSE_CALLBACK = 15;

    /**
     * The default answer to a feature query: 1 for P2P, V3, change protection, typed string params,
     * keepalive, XML_MIGRATABLE, MIGRATION_PARAMS, event and close callbacks; 0 for everything else.
     *
     * @param feature the VIR_DRV_FEATURE_* number the client asked about
     * @return whether jkvm supports it by default
     */
    public static boolean defaultSupported(int feature) {
        return switch (feature) {
            case MIGRATION_P2P, MIGRATION_V3, MIGRATE_CHANGE_PROTECTION, TYPED_PARAM_STRING, PROGRAM_KEEPALIVE,
                    XML_MIGRATABLE, MIGRATION_PARAMS, REMOTE_EVENT_CALLBACK, REMOTE_CLOSE_CALLBACK -> true;
            default -> false;
        };
    }
}
