package org.jkvm.remote;

/** Names of the migration typed parameters (VIR_MIGRATE_PARAM_*) and the migration flag bits. */
public final class MigrationParams {
    private MigrationParams() {
    }

    /** STRING: data-channel URI on the destination. */
    public static final String URI = "migrate_uri";
    /** STRING: name on the destination. */
    public static final String DEST_NAME = "destination_name";
    /** STRING: domain XML for the destination. */
    public static final String DEST_XML = "destination_xml";
    /** STRING: inactive XML stored on the destination. */
    public static final String PERSIST_XML = "persistent_xml";
    /** ULLONG: bandwidth in MiB/s. */
    public static final String BANDWIDTH = "bandwidth";
    /** STRING: address the destination binds. */
    public static final String LISTEN_ADDRESS = "listen_address";

    /** Flag LIVE. */
    public static final int LIVE = 0x1;
    /** Flag PEER2PEER. */
    public static final int PEER2PEER = 0x2;
    /** Flag TUNNELLED. */
    public static final int TUNNELLED = 0x4;
    /** Flag PERSIST_DEST. */
    public static final int PERSIST_DEST = 0x8;
    /** Flag UNDEFINE_SOURCE. */
    public static final int UNDEFINE_SOURCE = 0x10;
    /** Flag PAUSED. */
    public static final int PAUSED = 0x20;
    /** Flag CHANGE_PROTECTION. */
    public static final int CHANGE_PROTECTION = 0x100;
    /** Flag OFFLINE. */
    public static final int OFFLINE = 0x400;
    /** Flag ABORT_ON_ERROR. */
    public static final int ABORT_ON_ERROR = 0x1000;
    /** Flag AUTO_CONVERGE. */
    public static final int AUTO_CONVERGE = 0x2000;
}
