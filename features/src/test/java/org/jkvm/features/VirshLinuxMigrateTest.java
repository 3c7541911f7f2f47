package org.jkvm.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.jkvm.testkit.Await;
import org.jkvm.testkit.LinuxKit;
import org.jkvm.testkit.RepoPaths;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, acceptance 3 through libvirt: the Linux guest kit's domain (build-kit.sh's jkvm-linux.xml, the software
 * CPU) boots on host A, {@code virsh migrate --live} moves it to host B (two {@code bin/jkvmd}, each in a network
 * namespace of its own, virsh in A's: {@link TwoHosts}; the kit's files are the shared storage both see at one path),
 * where the kit's memory checker goes on with 0 errors over two more passes of its working set, and {@code virsh
 * shutdown} on B (the ACPI power button) ends it shut off.
 */
class VirshLinuxMigrateTest {
    /** A boot on the software CPU takes about a minute here; a hang is bounded by this. */
    private static final Duration BOOT = Duration.ofMinutes(6);

    @TempDir
    Path dir;

    @Test
    void theKitsGuestMigratesLiveBetweenTwoHostsAndShutsDownThere() throws Exception {
        Require.command("virsh");
        LinuxKit.Kit kit = LinuxKit.require();
        Backend.requireSoftCpu("the kit's domain is type='qemu': ");
        String engine = Require.path(RepoPaths.of("bin", "jkvm-engine"), "the engine launcher is in the repository")
                .toString();
        Path file = Require.path(kit.kernel().resolveSibling("jkvm-linux.xml"), "build-kit.sh writes the domain file");
        try (TwoHosts hosts = TwoHosts.start(dir, engine, true, 49700)) {
            Host a = hosts.a;
            Host b = hosts.b;
            try {
                hosts.virsh(a.tcpUri(), "define", file.toString()).ok();
                hosts.virsh(a.tcpUri(), "start", "linux1").ok();
                Path onA = serial(a);
                Await.until("the kit's shell and checker on A", BOOT, () -> text(onA).contains("jkvm-init: shell on")
                        && Guest.lastSeq(onA) >= 3);
                hosts.virsh(a.tcpUri(), "migrate", "--live", "--persistent", "--undefinesource", "linux1",
                        b.tcpUri()).ok();
                assertEquals("running (migrated)", hosts.virsh(b.tcpUri(), "domstate", "--reason", "linux1").ok());
                assertEquals("", hosts.virsh(a.tcpUri(), "list", "--all", "--name").ok(), "gone from A");
                Path onB = serial(b);
                int genAtMigration = lastGen(text(onA));
                Await.until("two more passes of the checker on B", BOOT,
                        () -> lastGen(text(onB)) >= genAtMigration + 3);
                long leftA = Guest.lastSeq(onA);
                List<String> beats = text(onB).lines().filter(l -> l.contains("hb seq=")).toList();
                assertTrue(Guest.lastSeq(onB) > leftA, "the heartbeats continue on B after seq " + leftA);
                for (String l : beats) {
                    assertTrue(l.contains(" errors=0 ") && l.contains(" verify_bad=0"), "B's checker: " + l);
                }
                hosts.virsh(b.tcpUri(), "shutdown", "linux1").ok();
                try {
                    Await.until("the domain shut off on B", BOOT,
                            () -> hosts.virsh(b.tcpUri(), "domstate", "linux1").out().equals("shut off"));
                } catch (AssertionError e) {
                    askConsole(b);
                    String t = text(onB);
                    throw new AssertionError(e.getMessage() + "; the last of B's console:\n"
                            + t.substring(Math.max(0, t.length() - 3000)), e);
                }
            } finally {
                hosts.virsh(a.tcpUri(), "destroy", "linux1");
                hosts.virsh(b.tcpUri(), "destroy", "linux1");
                hosts.virsh(b.tcpUri(), "undefine", "linux1");
            }
        }
    }

    /**
     * Types {@code cat /proc/interrupts; ps} into the guest's console socket and waits up to a minute for ps's
     * header in the console log (for a failure's diagnosis: whether the SCI came, whether acpid still runs); best
     * effort.
     */
    private static void askConsole(Host d) {
        Path socket = d.state().resolve("run").resolve("linux1.console");
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            ch.write(ByteBuffer.wrap("\ncat /proc/interrupts; ps\n".getBytes(StandardCharsets.US_ASCII)));
            Await.until("ps's answer on B's console", Duration.ofMinutes(1), () -> text(serial(d)).contains("PID"));
        } catch (java.io.IOException | AssertionError e) {
            System.err.println("[jkvm] no answer from B's console " + socket + ": " + e);
        }
    }

    private static Path serial(Host d) {
        return d.state().resolve("log").resolve("linux1.serial");
    }

    private static String text(Path serial) throws java.io.IOException {
        return Files.exists(serial) ? Files.readString(serial, StandardCharsets.ISO_8859_1).replace("\r", "") : "";
    }

    /** The checker's generation in its last heartbeat, or -1. */
    private static int lastGen(String serial) {
        int at = serial.lastIndexOf(" gen=");
        if (at < 0) {
            return -1;
        }
        int end = serial.indexOf(' ', at + 5);
        return end < 0 ? -1 : Integer.parseInt(serial.substring(at + 5, end));
    }
}
