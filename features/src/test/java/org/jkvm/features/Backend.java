package org.jkvm.features;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

import org.jkvm.domainxml.KvmDevice;
import org.jkvm.testkit.RepoPaths;
import org.jkvm.testkit.Require;

/**
 * The backend the system tests' guests run on here, chosen by the rule the engine and the daemon use (property
 * {@code jkvm.kvm.device}, else {@code JKVM_KVM_DEVICE}, else {@code /dev/kvm}): {@code type='kvm'} domains where
 * KVM works, {@code type='qemu'} (the engine's software CPU, {@code -accel tcg}) elsewhere. So the same tests run
 * on hosts with and without KVM; {@code JKVM_KVM_DEVICE=/nonexistent} simulates a host without it.
 */
final class Backend {
    /** What the KVM device rule finds here, probed once per test JVM. */
    static final KvmDevice.Status KVM = KvmDevice.probe();

    private Backend() {
    }

    /** {@code kvm} where KVM works, else {@code qemu}. */
    static String domainType() {
        return KVM.usable() ? "kvm" : "qemu";
    }

    /**
     * Requires ({@link Require#that}: skips, or fails under CI) that the calling test's guests can run: KVM works
     * here, or the engine has its software CPU (a {@code jkvm-softcpu} jar registering a {@code HypervisorProvider}
     * on its class path, which a full build puts there).
     */
    static void requireGuests() {
        if (KVM.usable()) {
            return;
        }
        requireSoftCpu("no KVM here (" + KVM.reason() + ") and ");
    }

    /** Requires ({@link Require#that}) the engine's software CPU; {@code why} starts the message. */
    static void requireSoftCpu(String why) {
        Require.that(softCpuInEngine(), why + "the engine has no software CPU (no jkvm-softcpu jar with a"
                + " HypervisorProvider in bundles/monitor/target/lib); build it: mvn -B install -DskipTests");
    }

    /** Whether the engine's class path ({@code bin/jkvm-engine}) holds the software CPU backend. */
    static boolean softCpuInEngine() {
        Path lib = RepoPaths.of("bundles", "monitor", "target", "lib");
        if (!Files.isDirectory(lib)) {
            return false;
        }
        try (Stream<Path> jars = Files.list(lib)) {
            return jars.filter(j -> j.getFileName().toString().startsWith("jkvm-softcpu-"))
                    .anyMatch(Backend::registersProvider);
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean registersProvider(Path jar) {
        try (ZipFile z = new ZipFile(jar.toFile())) {
            return z.getEntry("META-INF/services/org.jkvm.hypervisor.HypervisorProvider") != null;
        } catch (IOException e) {
            return false;
        }
    }
}
