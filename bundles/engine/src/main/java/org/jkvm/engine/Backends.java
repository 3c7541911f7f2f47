package org.jkvm.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.jkvm.hypervisor.Accelerator;
import org.jkvm.hypervisor.Hypervisor;
import org.jkvm.hypervisor.HypervisorProvider;
import org.jkvm.hypervisor.HypervisorUnavailableException;
import org.jkvm.vmstate.ProgressLog;
import org.slf4j.LoggerFactory;

/**
 * Chooses and opens the backend that runs the guest, as QEMU's {@code -accel} does: the accelerators are tried in
 * order and the first that opens wins. Without a choice the order is KVM, then the software CPU
 * ({@link #DEFAULT}); a fallback is logged once (at info level; debug for scratch VMs), with the reason the
 * earlier ones gave. The providers are found
 * through {@link java.util.ServiceLoader}, so the engine names no backend class. Stateless and thread-safe.
 */
public final class Backends {
    /** The order used when the command line chooses nothing (QEMU's {@code accel=kvm:tcg}). */
    public static final List<Accelerator> DEFAULT = List.of(Accelerator.KVM, Accelerator.TCG);

    private Backends() {
    }

    /**
     * The opened backend.
     *
     * @param hypervisor the backend; the caller owns and closes it
     * @param kvmPresent whether KVM can run guests on this host (QMP {@code query-kvm}'s {@code present}): it
     *                   opened, or, when it was not tried, its device exists and is readable and writable
     * @param fallback   why the accelerators before the chosen one could not run (their sentences), or null
     */
    public record Opened(Hypervisor hypervisor, boolean kvmPresent, String fallback) {
    }

    /**
     * Opens the first of {@code wanted} (or of {@link #DEFAULT} when empty) that can run here.
     *
     * @param kvmDevice the KVM device
     * @throws HypervisorUnavailableException with the sentence of the only accelerator asked for, or the sentences
     *                                        of all of them joined, when none can run
     */
    public static Opened open(List<Accelerator> wanted, Path kvmDevice) {
        return open(wanted, kvmDevice, a -> HypervisorProvider.find(a, Backends.class.getClassLoader()));
    }

    /** {@link #open(List, Path)} with another way to find providers (tests give fakes). */
    static Opened open(List<Accelerator> wanted, Path kvmDevice, Function<Accelerator, HypervisorProvider> finder) {
        List<Accelerator> order = wanted.isEmpty() ? DEFAULT : wanted;
        List<String> failures = new ArrayList<>();
        Boolean kvmPresent = null;
        for (Accelerator a : order) {
            Hypervisor h;
            try {
                h = finder.apply(a).open(new HypervisorProvider.Options(kvmDevice));
            } catch (HypervisorUnavailableException e) {
                kvmPresent = a == Accelerator.KVM ? Boolean.FALSE : kvmPresent;
                failures.add(e.getMessage());
                continue;
            }
            kvmPresent = a == Accelerator.KVM ? Boolean.TRUE : kvmPresent;
            String fallback = failures.isEmpty() ? null : String.join("; and ", failures);
            if (fallback != null) {
                ProgressLog.info(LoggerFactory.getLogger(Backends.class), "{}; running the guest on the {} instead",
                        fallback, a.displayName());
            }
            return new Opened(h, kvmPresent != null ? kvmPresent : deviceUsable(kvmDevice), fallback);
        }
        throw new HypervisorUnavailableException(String.join("; and ", failures));
    }

    /** Whether the provider of {@code a} is on the class path (the software CPU may be left out of a build). */
    public static boolean installed(Accelerator a) {
        try {
            HypervisorProvider.find(a, Backends.class.getClassLoader());
            return true;
        } catch (HypervisorUnavailableException e) {
            return false;
        }
    }

    /** Whether the KVM device exists as a device (not a file or folder) this process may open, without opening it. */
    static boolean deviceUsable(Path kvmDevice) {
        return Files.exists(kvmDevice) && !Files.isDirectory(kvmDevice) && !Files.isRegularFile(kvmDevice)
                && Files.isReadable(kvmDevice) && Files.isWritable(kvmDevice);
    }
}
