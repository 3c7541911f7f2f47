package org.jkvm.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.jkvm.testkit.LinuxKit;
import org.jkvm.testkit.RepoPaths;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Linux guest kit's libvirt domain (src/linux/jkvm-linux.xml, as build-kit.sh fills it in): the real virsh
 * defines it, and the stored definition keeps its {@code <kernel>}, {@code <initrd>} and {@code <cmdline>}; with the
 * real engine behind the daemon, {@code virsh start} starts it (the engine's loader takes the Debian bzImage, the
 * initramfs and the command line; a domain whose RAM is too small for the kernel fails to start with the loader's
 * sentence). (Booting it to the shell is the lead's integration test, once the software CPU runs Linux.)
 */
class LinuxKitDomainTest {
    @TempDir
    Path dir;

    @Test
    void virshDefinesTheKitsDomain() throws Exception {
        Require.command("virsh");
        String xml = Files.readString(RepoPaths.of("src", "linux", "jkvm-linux.xml"))
                .replace("@KERNEL@", dir.resolve("vmlinuz").toString())
                .replace("@INITRD@", dir.resolve("initramfs.cpio.gz").toString())
                .replace("@CMDLINE@", "console=ttyS0 panic=-1 jkvm.workload=verify jkvm.mib=16");
        Path file = dir.resolve("jkvm-linux.xml");
        Files.writeString(file, xml);
        try (Daemon daemon = new Daemon(dir.resolve("state"), Daemon.fakeEngine())) {
            String uri = daemon.unixUri();
            assertEquals("Domain 'linux1' defined from " + file, Virsh.run(uri, "define", file.toString()).ok());
            assertEquals("shut off", Virsh.run(uri, "domstate", "linux1").ok());
            String stored = Virsh.run(uri, "dumpxml", "--inactive", "linux1").ok();
            assertTrue(stored.contains("<kernel>" + dir.resolve("vmlinuz") + "</kernel>"), stored);
            assertTrue(stored.contains("<initrd>" + dir.resolve("initramfs.cpio.gz") + "</initrd>"), stored);
            assertTrue(stored.contains("<cmdline>console=ttyS0 panic=-1 jkvm.workload=verify jkvm.mib=16</cmdline>"),
                    stored);
            assertTrue(stored.startsWith("<domain type=\"qemu\">"), stored);
        }
    }

    /**
     * The kit's domain file as build-kit.sh wrote it, defined and started with the real engine on the software CPU
     * ({@code type='qemu'}). It starts paused, so what is checked is the start itself, whatever the software CPU
     * can run yet: the engine process came up with the kit's kernel, initramfs and command line loaded (it refuses
     * to start, exit 1, when its loader cannot take them). Then the same domain with 16 MiB of RAM, less than the
     * Debian kernel needs, fails to start with the loader's sentence.
     */
    @Test
    void virshStartsTheKitsDomainOnTheRealEngine() throws Exception {
        Require.command("virsh");
        LinuxKit.Kit kit = LinuxKit.require();
        Backend.requireSoftCpu("the kit's domain is type='qemu': ");
        String engine = Require.path(RepoPaths.of("bin", "jkvm-engine"), "the engine launcher is in the repository")
                .toString();
        Path file = Require.path(kit.kernel().resolveSibling("jkvm-linux.xml"), "build-kit.sh writes the domain file");
        String xml = Files.readString(file);
        try (Daemon daemon = new Daemon(dir.resolve("state"), engine)) {
            String uri = daemon.unixUri();
            try {
                assertEquals("Domain 'linux1' defined from " + file, Virsh.run(uri, "define", file.toString()).ok());
                assertEquals("Domain 'linux1' started", Virsh.run(uri, "start", "--paused", "linux1").ok());
                assertEquals("paused (user)", Virsh.run(uri, "domstate", "--reason", "linux1").ok());
                String live = Virsh.run(uri, "dumpxml", "linux1").ok();
                assertTrue(live.contains("<kernel>" + kit.kernel() + "</kernel>")
                        && live.contains("<initrd>" + kit.initrd() + "</initrd>"), live);
                assertEquals("Domain 'linux1' destroyed", Virsh.run(uri, "destroy", "linux1").ok());

                Path small = dir.resolve("small.xml");
                Files.writeString(small, xml.replace("<name>linux1</name>", "<name>small</name>")
                        .replace("<memory unit='MiB'>512</memory>", "<memory unit='MiB'>16</memory>"));
                Virsh.run(uri, "define", small.toString()).ok();
                Virsh.Result r = Virsh.run(uri, "start", "small");
                assertNotEquals(0, r.code(), r.out());
                assertTrue(r.err().contains("kernel file " + kit.kernel() + " needs ")
                        && r.err().contains("but the guest has 16 MiB"), r.err());
                assertEquals("shut off", Virsh.run(uri, "domstate", "small").ok());
            } finally {
                Virsh.run(uri, "destroy", "linux1");
            }
        }
    }
}
