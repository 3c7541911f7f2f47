package org.jkvm.kvm;

/**
 * KVM cannot be used on this host: the device is missing, not accessible, or speaks another API version.
 *
 * <p>The message is one sentence a user can act on, e.g. "KVM is not available: /dev/kvm does not exist; enable
 * virtualization or load the kvm module".
 */
public final class KvmUnavailableException extends KvmException {
    private static final long serialVersionUID = 1L;

    /**
     * @param call   the call that found the problem ({@code open} or {@code KVM_GET_API_VERSION})
     * @param errno  the errno value, or 0
     * @param reason what is wrong and what to do, completing "KVM is not available: "
     */
    public KvmUnavailableException(String call, int errno, String reason) {
        super(call, errno, "KVM is not available: " + reason);
    }
}
