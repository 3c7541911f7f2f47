package org.jkvm.remote;

/** libvirt error codes (VIR_ERR_*) and error domains (VIR_FROM_*) that jkvm uses; numbers never change. */
public final class ErrorCodes {
    private ErrorCodes() {
    }

    /** VIR_ERR_INTERNAL_ERROR. */
    public static final int INTERNAL_ERROR = 1;
    /** VIR_ERR_NO_SUPPORT. */
    public static final int NO_SUPPORT = 3;
    /** VIR_ERR_INVALID_ARG. */
    public static final int INVALID_ARG = 8;
    /** VIR_ERR_OPERATION_FAILED. */
    public static final int OPERATION_FAILED = 9;
    /** VIR_ERR_XML_ERROR. */
    public static final int XML_ERROR = 27;
    /** VIR_ERR_OPERATION_DENIED. */
    public static final int OPERATION_DENIED = 29;
    /** VIR_ERR_SYSTEM_ERROR. */
    public static final int SYSTEM_ERROR = 38;
    /** VIR_ERR_RPC. */
    public static final int RPC = 39;
    /** VIR_ERR_NO_DOMAIN. */
    public static final int NO_DOMAIN = 42;
    /** VIR_ERR_AUTH_FAILED. */
    public static final int AUTH_FAILED = 45;
    /** VIR_ERR_OPERATION_INVALID. */
    public static final int OPERATION_INVALID = 55;
    /** VIR_ERR_NO_CONNECT. */
    public static final int NO_CONNECT = 60;
    /** VIR_ERR_CONFIG_UNSUPPORTED. */
    public static final int CONFIG_UNSUPPORTED = 67;
    /** VIR_ERR_OPERATION_TIMEOUT. */
    public static final int OPERATION_TIMEOUT = 68;
    /** VIR_ERR_ARGUMENT_UNSUPPORTED. */
    public static final int ARGUMENT_UNSUPPORTED = 74;
    /** VIR_ERR_OPERATION_ABORTED. */
    public static final int OPERATION_ABORTED = 78;
    /** VIR_ERR_MIGRATE_UNSAFE. */
    public static final int MIGRATE_UNSAFE = 81;
    /** VIR_ERR_MIGRATE_FINISH_OK. */
    public static final int MIGRATE_FINISH_OK = 93;

    /** VIR_FROM_NONE. */
    public static final int FROM_NONE = 0;
    /** VIR_FROM_RPC. */
    public static final int FROM_RPC = 7;
    /** VIR_FROM_QEMU (the domain libvirt's own migration code expects). */
    public static final int FROM_QEMU = 10;
    /** VIR_FROM_REMOTE. */
    public static final int FROM_REMOTE = 13;
    /** VIR_FROM_DOMAIN. */
    public static final int FROM_DOMAIN = 20;

    /** VIR_ERR_ERROR level. */
    public static final int LEVEL_ERROR = 2;
}
