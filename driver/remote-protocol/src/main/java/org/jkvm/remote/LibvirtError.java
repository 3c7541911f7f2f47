package org.jkvm.remote;

import static org.jkvm.remote.ErrorCodes.FROM_DOMAIN;
import static org.jkvm.remote.ErrorCodes.FROM_QEMU;
import static org.jkvm.remote.ErrorCodes.FROM_RPC;

/**
 * The one exception type of the driver layer: a libvirt error with its code, domain and complete message.
 *
 * <p>The message is what virsh prints after "error: ", so it already carries libvirt's prefix
 * ("Domain not found: ...", "Requested operation is not valid: ..."). The factories add those prefixes; the
 * RPC server turns this exception into a {@code remote_error} in exactly one place.
 */
public final class LibvirtError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int code;
    private final int domain;

    /**
     * Creates an error.
     *
     * @param code    a VIR_ERR_* code from {@link ErrorCodes}
     * @param domain  a VIR_FROM_* domain from {@link ErrorCodes}
     * @param message the complete message, libvirt prefix included
     */
    public LibvirtError(int code, int domain, String message) {
        super(message);
        this.code = code;
        this.domain = domain;
    }

    /** The same, chaining the cause (whose text should not be repeated in the message). */
    public LibvirtError(int code, int domain, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.domain = domain;
    }

    /** The VIR_ERR_* code. */
    public int code() {
        return code;
    }

    /** The VIR_FROM_* domain. */
    public int domain() {
        return domain;
    }

    /** 42 NO_DOMAIN: {@code "Domain not found: " + detail}, e.g. "no domain with matching name 'x'". */
    public static LibvirtError noDomain(String detail) {
        return new LibvirtError(ErrorCodes.NO_DOMAIN, FROM_QEMU, "Domain not found: " + detail);
    }

    /** 55 OPERATION_INVALID: {@code "Requested operation is not valid: " + detail}. */
    public static LibvirtError operationInvalid(String detail) {
        return new LibvirtError(ErrorCodes.OPERATION_INVALID, FROM_DOMAIN, "Requested operation is not valid: "
                + detail);
    }

    /** 9 OPERATION_FAILED: {@code "operation failed: " + detail}. */
    public static LibvirtError operationFailed(String detail) {
        return new LibvirtError(ErrorCodes.OPERATION_FAILED, FROM_QEMU, "operation failed: " + detail);
    }

    /** 74 ARGUMENT_UNSUPPORTED: {@code "argument unsupported: " + detail}. */
    public static LibvirtError argumentUnsupported(String detail) {
        return new LibvirtError(ErrorCodes.ARGUMENT_UNSUPPORTED, FROM_QEMU, "argument unsupported: " + detail);
    }

    /** 8 INVALID_ARG for flag bits we do not know: "invalid argument: unsupported flags (0x..) in function f". */
    public static LibvirtError unsupportedFlags(long flags, String function) {
        return new LibvirtError(ErrorCodes.INVALID_ARG, FROM_QEMU, "invalid argument: unsupported flags (0x"
                + Long.toHexString(flags) + ") in function " + function);
    }

    /** 8 INVALID_ARG: {@code "invalid argument: " + detail}. */
    public static LibvirtError invalidArg(String detail) {
        return new LibvirtError(ErrorCodes.INVALID_ARG, FROM_QEMU, "invalid argument: " + detail);
    }

    /** 67 CONFIG_UNSUPPORTED: {@code "unsupported configuration: " + detail}. */
    public static LibvirtError configUnsupported(String detail) {
        return new LibvirtError(ErrorCodes.CONFIG_UNSUPPORTED, FROM_DOMAIN, "unsupported configuration: " + detail);
    }

    /** 27 XML_ERROR: {@code "XML error: " + detail}. */
    public static LibvirtError xmlError(String detail) {
        return new LibvirtError(ErrorCodes.XML_ERROR, FROM_DOMAIN, "XML error: " + detail);
    }

    /** 1 INTERNAL_ERROR: {@code "internal error: " + detail}. */
    public static LibvirtError internal(String detail) {
        return new LibvirtError(ErrorCodes.INTERNAL_ERROR, FROM_QEMU, "internal error: " + detail);
    }

    /** 29 OPERATION_DENIED: {@code "operation forbidden: " + detail}. */
    public static LibvirtError denied(String detail) {
        return new LibvirtError(ErrorCodes.OPERATION_DENIED, FROM_RPC, "operation forbidden: " + detail);
    }

    /** 78 OPERATION_ABORTED: {@code "operation aborted: " + detail}. */
    public static LibvirtError aborted(String detail) {
        return new LibvirtError(ErrorCodes.OPERATION_ABORTED, FROM_QEMU, "operation aborted: " + detail);
    }

    /** 93 MIGRATE_FINISH_OK: what Finish answers after cleaning up a cancelled migration. */
    public static LibvirtError migrateFinishOk() {
        return new LibvirtError(ErrorCodes.MIGRATE_FINISH_OK, FROM_QEMU, "migration successfully aborted");
    }

    /** 3 NO_SUPPORT: "this function is not supported by the connection driver: " + function. */
    public static LibvirtError noSupport(String function) {
        return new LibvirtError(ErrorCodes.NO_SUPPORT, FROM_QEMU,
                "this function is not supported by the connection driver: " + function);
    }

    /** 60 NO_CONNECT: no driver accepts the URI, or the driver service went away. */
    public static LibvirtError noDriver(String uri) {
        return new LibvirtError(ErrorCodes.NO_CONNECT, ErrorCodes.FROM_NONE, "no connection driver available for "
                + (uri == null || uri.isEmpty() ? "the default URI" : uri)
                + "; check that the jkvm driver bundle is started and the URI is one it serves");
    }

    /** 39 RPC in domain RPC, the exact form libvirtd uses for an unknown procedure (the client maps it to 3). */
    public static LibvirtError unknownProcedure(int procedure) {
        return new LibvirtError(ErrorCodes.RPC, FROM_RPC, "unknown procedure: " + procedure);
    }
}
