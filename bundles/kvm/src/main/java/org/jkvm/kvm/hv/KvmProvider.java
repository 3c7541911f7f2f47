package org.jkvm.kvm.hv;

import org.jkvm.hypervisor.Accelerator;
import org.jkvm.hypervisor.Hypervisor;
import org.jkvm.hypervisor.HypervisorProvider;
import org.jkvm.hypervisor.HypervisorUnavailableException;
import org.jkvm.kvm.Kvm;
import org.jkvm.kvm.KvmException;

/**
 * The provider of {@code -accel kvm}, registered in {@code META-INF/services/org.jkvm.hypervisor.HypervisorProvider}:
 * opens the KVM device of {@link HypervisorProvider.Options#kvmDevice()}. Stateless and thread-safe.
 */
public final class KvmProvider implements HypervisorProvider {
    /** For {@link java.util.ServiceLoader}. */
    public KvmProvider() {
    }

    @Override
    public Accelerator accelerator() {
        return Accelerator.KVM;
    }

    /**
     * Opens the device and checks its API version.
     *
     * @throws HypervisorUnavailableException with the binding's sentence ("KVM is not available: /dev/kvm does not
     *                                        exist; enable virtualization or load the kvm module", ...) when the
     *                                        device is missing, not accessible or not KVM, or libc cannot be bound
     */
    @Override
    public Hypervisor open(Options options) {
        try {
            return new KvmHypervisor(Kvm.open(options.kvmDevice()));
        } catch (KvmException e) {
            String msg = e.getMessage();
            throw new HypervisorUnavailableException(msg.startsWith("KVM is not available") ? msg
                    : "KVM is not available: " + msg, e);
        } catch (LinkageError e) {
            throw new HypervisorUnavailableException("KVM is not available: the native libc binding cannot be loaded ("
                    + e.getMessage() + "); run on x86-64 Linux with glibc", e);
        }
    }

    /** Loads and binds the KVM layer's libc (JNA's set-up, ~50 ms on a cold JVM). */
    @Override
    public void prewarm() {
        try {
            Class.forName("org.jkvm.kvm.LibC", true, KvmProvider.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            // open() meets the same problem and reports it
        }
    }
}
