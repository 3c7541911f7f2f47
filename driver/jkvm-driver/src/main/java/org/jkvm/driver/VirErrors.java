package org.jkvm.driver;

import org.jkvm.driver.qmp.QmpException;
import org.jkvm.remote.ErrorCodes;
import org.jkvm.remote.LibvirtError;

/**
 * The driver's one place that turns failures into libvirt errors ({@link LibvirtError}: code, domain and a
 * message with libvirt's prefix; libvirt-rpc reference section 8.1). Domain lookups, state checks and engine
 * (QMP) failures all go through here, so virsh prints the same sentence libvirtd would.
 */
public final class VirErrors {
    private VirErrors() {
    }

    /** No domain with this name (42 NO_DOMAIN). */
    public static LibvirtError noDomainName(String name) {
        return LibvirtError.noDomain("no domain with matching name '" + name + "'");
    }

    /** No domain with this UUID (42 NO_DOMAIN). */
    public static LibvirtError noDomainUuid(String uuid, String name) {
        return LibvirtError.noDomain("no domain with matching uuid '" + uuid + "'"
                + (name == null || name.isEmpty() ? "" : " (" + name + ")"));
    }

    /** No running domain with this id (42 NO_DOMAIN). */
    public static LibvirtError noDomainId(int id) {
        return LibvirtError.noDomain("no domain with matching id " + id);
    }

    /** The domain is not running (55 OPERATION_INVALID). */
    public static LibvirtError notRunning() {
        return LibvirtError.operationInvalid("domain is not running");
    }

    /** The domain is already running (55 OPERATION_INVALID). */
    public static LibvirtError alreadyRunning() {
        return LibvirtError.operationInvalid("domain is already running");
    }

    /** The operation failed (9 OPERATION_FAILED), chaining the cause. */
    public static LibvirtError operationFailed(String what, Throwable cause) {
        return new LibvirtError(ErrorCodes.OPERATION_FAILED, ErrorCodes.FROM_QEMU, "operation failed: " + what,
                cause);
    }

    /** A define clashing with another domain's name or UUID (9 OPERATION_FAILED in domain DOMAIN). */
    public static LibvirtError alreadyExists(String what) {
        return new LibvirtError(ErrorCodes.OPERATION_FAILED, ErrorCodes.FROM_DOMAIN, "operation failed: " + what);
    }

    /**
     * An engine (QMP) failure during an operation: a timeout becomes 68 OPERATION_TIMEOUT, anything else
     * 9 OPERATION_FAILED naming the operation and the domain.
     */
    public static LibvirtError engine(String operation, String domain, QmpException e) {
        String msg = operation + " of domain '" + domain + "' failed: " + e.getMessage();
        if (e.getMessage() != null && e.getMessage().contains("did not answer")) {
            return new LibvirtError(ErrorCodes.OPERATION_TIMEOUT, ErrorCodes.FROM_QEMU,
                    "Timed out during operation: " + msg, e);
        }
        return operationFailed(msg, e);
    }

    /** A bug or unexpected state (1 INTERNAL_ERROR), chaining the cause. */
    public static LibvirtError internal(String what, Throwable cause) {
        return new LibvirtError(ErrorCodes.INTERNAL_ERROR, ErrorCodes.FROM_QEMU, "internal error: " + what, cause);
    }
}
