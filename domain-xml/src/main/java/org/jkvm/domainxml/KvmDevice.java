package org.jkvm.domainxml;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Function;

/**
 * Whether KVM works on this host, decided as the engine decides it: the KVM device path is the system property
 * {@value #PROPERTY}, else the environment variable {@value #ENV}, else {@code /dev/kvm} (pointing it at a missing
 * path simulates a host without KVM), and KVM works when that path is the KVM character device (misc device
 * 10:232) and opens for reading and writing. Nothing is held open. Thread-safe (stateless).
 */
public final class KvmDevice {
    /** The system property naming the KVM device. */
    public static final String PROPERTY = "jkvm.kvm.device";
    /** The environment variable naming the KVM device when the property is not set. */
    public static final String ENV = "JKVM_KVM_DEVICE";
    /** The KVM device when neither is set. */
    public static final Path DEFAULT = Path.of("/dev/kvm");

    /** Linux's KVM device: the misc major with KVM's fixed minor (include/linux/miscdevice.h). */
    private static final int MISC_MAJOR = 10;
    private static final int KVM_MINOR = 232;
    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;

    private KvmDevice() {
    }

    /**
     * What a probe found.
     *
     * @param device the path probed
     * @param usable whether KVM works through it
     * @param reason why not, one sentence naming the path and what to do (empty when usable)
     */
    public record Status(Path device, boolean usable, String reason) {
    }

    /** The KVM device path of this process: property, else environment, else {@code /dev/kvm}. */
    public static Path configured() {
        return configured(System::getProperty, System::getenv);
    }

    /**
     * The KVM device path from the given lookups (a blank value counts as unset).
     *
     * @param properties the property lookup (e.g. OSGi framework properties, which fall back to system properties)
     * @param env        the environment lookup
     */
    public static Path configured(Function<String, String> properties, Function<String, String> env) {
        String p = properties.apply(PROPERTY);
        if (p != null && !p.isBlank()) {
            return Path.of(p.strip());
        }
        String e = env.apply(ENV);
        return e != null && !e.isBlank() ? Path.of(e.strip()) : DEFAULT;
    }

    /** Probes the configured device. */
    public static Status probe() {
        return probe(configured());
    }

    /** Probes {@code device}: the KVM character device, opened for reading and writing and closed again. */
    public static Status probe(Path device) {
        if (!Files.exists(device)) {
            return no(device, device + " does not exist: the kvm module is not loaded, or this host has no hardware"
                    + " virtualization (or it is off in the BIOS); use <domain type='qemu'> for jkvm's software CPU");
        }
        String notKvm = notTheKvmDevice(device);
        if (notKvm != null) {
            return no(device, notKvm);
        }
        try (FileChannel ignored = FileChannel.open(device, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return new Status(device, true, "");
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return no(device, "cannot open " + device + " for reading and writing (" + e + "); run as root or as a"
                    + " member of the device's group (usually kvm)");
        }
    }

    /** Null when {@code device} is a character device 10:232 (or the platform cannot tell), else why not. */
    private static String notTheKvmDevice(Path device) {
        int mode;
        long rdev;
        try {
            mode = (Integer) Files.getAttribute(device, "unix:mode");
            rdev = (Long) Files.getAttribute(device, "unix:rdev");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return null;  // no "unix" attribute view: the open below decides
        }
        if ((mode & S_IFMT) != S_IFCHR) {
            return device + " is not the KVM device (it is not a character device); point " + ENV + " or -D"
                    + PROPERTY + " at /dev/kvm";
        }
        // glibc's gnu_dev_major/minor encoding of dev_t.
        long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & 0xfffff000L);
        long minor = (rdev & 0xff) | ((rdev >>> 12) & 0xffffff00L);
        if (major != MISC_MAJOR || minor != KVM_MINOR) {
            return device + " is character device " + major + ":" + minor + ", not the KVM device " + MISC_MAJOR
                    + ":" + KVM_MINOR + "; point " + ENV + " or -D" + PROPERTY + " at /dev/kvm";
        }
        return null;
    }

    private static Status no(Path device, String reason) {
        return new Status(device, false, reason);
    }
}
