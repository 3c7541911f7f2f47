package org.jkvm.testkit;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Preconditions for tests that need a real part of the machine (/dev/kvm, virsh, qemu, gcc, the shared corpus).
 *
 * <p>On a developer's machine a missing part makes the test skip with a message naming it. Under CI
 * ({@code CI=true} in the environment, as {@code .ci/run} runs) a missing part fails the test instead, because CI
 * installs every part and a skip there would hide an untested acceptance item.
 */
public final class Require {
    private Require() {
    }

    /** True when running under CI, where every real part must be present. */
    public static boolean strict() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /**
     * Skips (or, under CI, fails) the calling test unless {@code present} holds.
     *
     * @param present whether the part is there
     * @param what    a sentence naming the missing part and how to get it
     */
    public static void that(boolean present, String what) {
        if (present) {
            return;
        }
        if (strict()) {
            Assertions.fail("required under CI but missing: " + what);
        }
        Assumptions.assumeTrue(false, "skipped: " + what);
    }

    /**
     * The KVM device every part of jkvm uses (engine, driver, tests): the system property {@code jkvm.kvm.device},
     * else the environment variable {@code JKVM_KVM_DEVICE}, else {@code /dev/kvm}. Pointing it at a missing path
     * ({@code JKVM_KVM_DEVICE=/nonexistent mvn verify}) makes the whole suite behave as on a host without KVM.
     */
    public static Path kvmDevice() {
        String prop = System.getProperty("jkvm.kvm.device");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        String env = System.getenv("JKVM_KVM_DEVICE");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of("/dev/kvm");
    }

    /** Whether the KVM device ({@link #kvmDevice()}) exists and is readable and writable by this user. */
    public static boolean kvmAvailable() {
        File dev = kvmDevice().toFile();
        return dev.exists() && dev.canRead() && dev.canWrite();
    }

    /**
     * Requires a readable and writable KVM device ({@link #kvmDevice()}). Only tests of the KVM binding itself
     * and cross-backend tests need this: everything above the binding runs on whatever backend the engine picks.
     */
    public static void kvm() {
        that(kvmAvailable(), kvmDevice() + " is missing or not accessible (run as root on a host with KVM; "
                + "JKVM_KVM_DEVICE or -Djkvm.kvm.device name another device)");
    }

    /** Requires an executable on the PATH, returning its path. */
    public static Path command(String name) {
        Path found = which(name);
        that(found != null, name + " is not installed (see .ci/run for the Debian packages)");
        return found;
    }

    /** Requires a file or folder to exist, returning it. */
    public static Path path(Path p, String why) {
        that(Files.exists(p), p + " does not exist: " + why);
        return p;
    }

    /** Requires the user to be root (network namespaces, /dev/kvm on this machine). */
    public static void root() {
        that("root".equals(System.getProperty("user.name")), "the test must run as root");
    }

    /** The executable {@code name} on the PATH, or null. */
    public static Path which(String name) {
        String pathEnv = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : pathEnv.split(File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        for (String dir : new String[] {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
