package org.jkvm.hypervisor;

import java.nio.file.Path;
import java.util.ServiceLoader;

/**
 * Finds and opens a backend. Each backend module registers one provider in
 * {@code META-INF/services/org.jkvm.hypervisor.HypervisorProvider}, so the engine compiles against this module
 * only and never imports a backend's types.
 */
public interface HypervisorProvider {
    /** The accelerator this provider opens. */
    Accelerator accelerator();

    /**
     * Opens the backend; the caller owns and closes the result.
     *
     * @param options host settings (the KVM device path)
     * @throws HypervisorUnavailableException with one sentence when the backend cannot run on this host
     */
    Hypervisor open(Options options);

    /**
     * Initialises what {@link #open} will need (native bindings, large tables), so that an engine can do it on a
     * background thread while it parses its command line. Must not fail: a problem is met and reported again by
     * {@link #open}. Does nothing by default.
     */
    default void prewarm() {
    }

    /**
     * Host settings for opening a backend.
     *
     * @param kvmDevice the KVM device ({@code /dev/kvm}; tests point elsewhere to simulate a host without KVM);
     *                  backends other than KVM ignore it
     */
    record Options(Path kvmDevice) {
        /** The defaults: {@code /dev/kvm}. */
        public static Options defaults() {
            return new Options(Path.of("/dev/kvm"));
        }
    }

    /**
     * The provider of {@code accelerator} on the class path of {@code loader}.
     *
     * @throws HypervisorUnavailableException when no such provider is installed
     */
    static HypervisorProvider find(Accelerator accelerator, ClassLoader loader) {
        for (HypervisorProvider p : ServiceLoader.load(HypervisorProvider.class, loader)) {
            if (p.accelerator() == accelerator) {
                return p;
            }
        }
        throw new HypervisorUnavailableException("the " + accelerator.displayName() + " backend is not installed "
                + "(no HypervisorProvider for -accel " + accelerator.optionName() + " on the class path); "
                + "reinstall jkvm");
    }
}
