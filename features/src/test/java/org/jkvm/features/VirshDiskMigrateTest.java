package org.jkvm.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.jkvm.testkit.RepoPaths;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 acceptance 2 (its virsh part) and item 6: {@code virsh migrate --live} of a domain whose disk is a qcow2
 * overlay on a qcow2 base, both in one images directory the two hosts share (two {@code bin/jkvmd}, each in a
 * network namespace of its own, virsh in A's: {@link TwoHosts}), while the firmware's {@code workload=disk} writes and
 * checks its disk. On B the guest goes on with {@code errors=0 disk_bad=0}; the image's write lock (its OFD locks,
 * seen in {@code /proc/PID/fdinfo}) moved from A's engine to B's; with B paused the image's modification time stands
 * still (no one else writes it, the source least of all); and {@code virsh domblkstat} on B counts on.
 */
class VirshDiskMigrateTest {
    private static final Duration HB = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    @Test
    void aGuestWritingItsQcow2OverlayMigratesLiveAndTheSourceGivesTheImageUp() throws Exception {
        Require.command("virsh");
        Path qemuImg = Require.command("qemu-img");
        Backend.requireSoftCpu("the domain is type='qemu': ");
        String engine = Require.path(RepoPaths.of("bin", "jkvm-engine"), "the engine launcher is in the repository")
                .toString();
        Path images = Files.createDirectories(dir.resolve("images"));
        Path base = images.resolve("base.qcow2");
        Path top = images.resolve("top.qcow2");
        run(qemuImg.toString(), "create", "-q", "-f", "qcow2", base.toString(), "16M");
        run(qemuImg.toString(), "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", top.toString());
        String disk = "    <disk type='file' device='disk'>\n      <driver name='qemu' type='qcow2'/>\n"
                + "      <source file='" + top + "'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>\n"
                + "  </devices>";
        String xml = Guest.xml("qemu", "dm", "workload=disk mib=2 rate=100 hb_ms=200").replace("  </devices>", disk);
        Path file = Files.writeString(dir.resolve("dm.xml"), xml);
        try (TwoHosts hosts = TwoHosts.start(dir, engine, true, 49820)) {
            Host a = hosts.a;
            Host b = hosts.b;
            try {
                hosts.virsh(a.tcpUri(), "define", file.toString()).ok();
                hosts.virsh(a.tcpUri(), "start", "dm").ok();
                Path onA = serial(a);
                Guest.awaitHeartbeats(onA, 2, HB);
                long pidA = pid(a);
                assertTrue(holdsLocks(pidA, top), "A's engine holds the image's locks");
                hosts.virsh(a.tcpUri(), "migrate", "--live", "--persistent", "--undefinesource", "dm", b.tcpUri())
                        .ok();
                assertEquals("running (migrated)", hosts.virsh(b.tcpUri(), "domstate", "--reason", "dm").ok());
                long pidB = pid(b);
                assertTrue(holdsLocks(pidB, top), "B's engine holds the image's locks");
                assertFalse(ProcessHandle.of(pidA).map(ProcessHandle::isAlive).orElse(false)
                        && holdsLocks(pidA, top), "A's engine gave the image up");
                Path onB = serial(b);
                long leftA = Guest.lastSeq(onA);
                Map<String, Long> first = VirshDiskTest.domblkstat(b.unixUri(), "dm", "vda");
                Guest.awaitHeartbeats(onB, leftA + 2, HB);
                Map<String, Long> later = VirshDiskTest.domblkstat(b.unixUri(), "dm", "vda");
                assertTrue(later.get("wr_req") > first.get("wr_req"), "B's counters count on: " + first + " then "
                        + later);
                // With B paused, nothing may write the image any more: its modification time stands still.
                Duration period = Guest.heartbeatPeriod(onB, HB);
                hosts.virsh(b.tcpUri(), "suspend", "dm").ok();
                // The request the guest had in flight at the pause completes on B's I/O thread: read the time after.
                Guest.assertNoHeartbeats(onB, Guest.lastSeq(onB), period, 1);
                FileTime paused = Files.getLastModifiedTime(top);
                Guest.assertNoHeartbeats(onB, Guest.lastSeq(onB), period, 3);
                assertEquals(paused, Files.getLastModifiedTime(top), "no writer while B is paused");
                hosts.virsh(b.tcpUri(), "resume", "dm").ok();
                Guest.awaitHeartbeats(onB, Guest.lastSeq(onB), HB);
                List<String> beats = text(onB).lines()
                        .filter(l -> l.contains("hb seq=") && l.contains(" disk_bad=")).toList();
                assertFalse(beats.isEmpty());
                for (String l : beats) {
                    assertTrue(l.contains(" errors=0 ") && l.endsWith(" disk_bad=0"), "B's disk checker: " + l);
                }
            } finally {
                hosts.virsh(a.tcpUri(), "destroy", "dm");
                hosts.virsh(b.tcpUri(), "destroy", "dm");
                hosts.virsh(b.tcpUri(), "undefine", "dm");
            }
        }
    }

    private static Path serial(Host d) {
        return d.state().resolve("log").resolve("dm.serial");
    }

    private static long pid(Host d) throws IOException {
        return Long.parseLong(Files.readString(d.state().resolve("run/dm.pid")).trim());
    }

    private static String text(Path serial) throws IOException {
        return Files.readString(serial, StandardCharsets.ISO_8859_1);
    }

    /** Whether process {@code pid} has {@code image} open with a file lock on it ({@code lock:} in its fdinfo). */
    private static boolean holdsLocks(long pid, Path image) throws IOException {
        Path fds = Path.of("/proc/" + pid + "/fd");
        if (!Files.isDirectory(fds)) {
            return false;
        }
        Path real = image.toRealPath();
        try (Stream<Path> all = Files.list(fds)) {
            for (Path fd : all.toList()) {
                try {
                    if (Files.readSymbolicLink(fd).equals(real) && Files.readString(Path.of("/proc/" + pid
                            + "/fdinfo/" + fd.getFileName())).contains("lock:")) {
                        return true;
                    }
                } catch (IOException gone) {
                    // closed meanwhile
                }
            }
        }
        return false;
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", cmd) + ": " + out);
    }
}
