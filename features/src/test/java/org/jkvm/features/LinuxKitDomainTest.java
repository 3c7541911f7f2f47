package org.jkvm.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.jkvm.testkit.RepoPaths;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Linux guest kit's libvirt domain (src/linux/jkvm-linux.xml, as build-kit.sh fills it in): the real virsh
 * defines it, and the stored definition keeps its {@code <kernel>}, {@code <initrd>} and {@code <cmdline>}. (Booting
 * it is the lead's integration test, once the platform runs Linux.)
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
}
