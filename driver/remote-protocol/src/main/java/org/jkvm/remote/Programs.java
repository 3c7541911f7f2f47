package org.jkvm.remote;

/**
 * Program numbers, message types, statuses and size limits of libvirt's RPC header.
 *
 * <pre>
 *  0        4                                              28
 *  +--------+----------------------------------------------+-------------------------+
 *  | len    | prog | vers | proc | type | serial | status  | payload (len - 28)      |
 *  +--------+----------------------------------------------+-------------------------+
 * </pre>
 * {@code len} counts the whole packet including itself; everything is big-endian.
 */
public final class Programs {
    private Programs() {
    }

    /** REMOTE_PROGRAM, version 1. */
    public static final int REMOTE = 0x20008086;
    /** KEEPALIVE_PROGRAM ("keep"), version 1. */
    public static final int KEEPALIVE = 0x6b656570;
    /** The only version of both programs. */
    public static final int VERSION = 1;
    /** Keepalive PING procedure. */
    public static final int KEEPALIVE_PING = 1;
    /** Keepalive PONG procedure. */
    public static final int KEEPALIVE_PONG = 2;

    /** Message type CALL (client to server). */
    public static final int TYPE_CALL = 0;
    /** Message type REPLY. */
    public static final int TYPE_REPLY = 1;
    /** Message type MESSAGE (events, keepalive). */
    public static final int TYPE_MESSAGE = 2;
    /** Message type STREAM. */
    public static final int TYPE_STREAM = 3;

    /** Status OK. */
    public static final int STATUS_OK = 0;
    /** Status ERROR: the payload is a {@code remote_error}. */
    public static final int STATUS_ERROR = 1;
    /** Status CONTINUE (stream data). */
    public static final int STATUS_CONTINUE = 2;

    /** Bytes of the length word plus the header. */
    public static final int HEADER_BYTES = 28;
    /** VIR_NET_MESSAGE_MAX: the largest {@code len - 4} a libvirt peer accepts (32 MiB). */
    public static final int MESSAGE_MAX = 33_554_432;
    /** The largest frame length word we accept: {@link #MESSAGE_MAX} + 4. */
    public static final int FRAME_MAX = MESSAGE_MAX + 4;

    /** REMOTE_STRING_MAX as virsh 9.0 uses it (4 MiB). */
    public static final int STRING_MAX = 4_194_304;
    /** Domain lists (REMOTE_DOMAIN_LIST_MAX). */
    public static final int DOMAIN_LIST_MAX = 16_384;
    /** Migration cookies (REMOTE_MIGRATE_COOKIE_MAX as of 9.0). */
    public static final int COOKIE_MAX = 4_194_304;
    /** Migration, job-stats and save parameter lists. */
    public static final int PARAMS_MAX = 64;
    /** Typed parameter field names: at most 79 bytes (80 with the NUL in the client). */
    public static final int FIELD_MAX = 79;
    /** AUTH_LIST answer size. */
    public static final int AUTH_TYPES_MAX = 20;
    /** NODE_GET_SECURITY_MODEL model and doi strings (VIR_SECURITY_MODEL_BUFLEN). */
    public static final int SECURITY_MODEL_MAX = 257;
}
