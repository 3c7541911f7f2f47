package org.jkvm.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.jkvm.testkit.Await;
import org.jkvm.testkit.LinuxKit;
import org.jkvm.testkit.RepoPaths;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, acceptance 2 with the real client: the Linux guest kit's domain (build-kit.sh's jkvm-linux.xml,
 * {@code type='qemu'}: the software CPU) started by the real virsh through the daemon boots to the kit's shell;
 * {@code virsh console} reaches the shell on ttyS0 (Linux's 8250 driver, interrupt-driven through the I/O APIC),
 * which answers a typed command, and {@code virsh shutdown} (the ACPI power button: SCI, acpid, poweroff, S5)
 * ends the domain shut off.
 */
class LinuxConsoleTest {
    /** A boot on the software CPU takes about a minute here; a hang is bounded by this. */
    private static final Duration BOOT = Duration.ofMinutes(6);

    @TempDir
    Path dir;

    @Test
    void virshConsoleReachesTheKitsShellAndVirshShutdownPowersItOff() throws Exception {
        Require.command("virsh");
        Require.command("script");
        LinuxKit.Kit kit = LinuxKit.require();
        Backend.requireSoftCpu("the kit's domain is type='qemu': ");
        String engine = Require.path(RepoPaths.of("bin", "jkvm-engine"), "the engine launcher is in the repository")
                .toString();
        Path file = Require.path(kit.kernel().resolveSibling("jkvm-linux.xml"), "build-kit.sh writes the domain file");
        Path state = dir.resolve("state");
        try (Daemon daemon = new Daemon(state, engine)) {
            String uri = daemon.unixUri();
            try {
                Virsh.run(uri, "define", file.toString()).ok();
                Virsh.run(uri, "start", "linux1").ok();
                Path log = state.resolve("log").resolve("linux1.serial");
                Await.until("the kit's shell in " + log, BOOT, () -> Files.exists(log)
                        && Files.readString(log, StandardCharsets.ISO_8859_1).contains("jkvm-init: shell on"));
                try (VirshConsole console = VirshConsole.open(uri, "linux1")) {
                    // The command's own echo shows "kit-$((40+2))"; only the shell's answer shows "kit-42".
                    console.type("echo kit-$((40+2))\r");
                    Await.until("the shell's answer on the console", BOOT, () -> console.text().contains("kit-42"));
                    Virsh.run(uri, "shutdown", "linux1").ok();
                    Await.until("the domain shut off", BOOT,
                            () -> Virsh.run(uri, "domstate", "linux1").out().equals("shut off"));
                    assertEquals("shut off (shutdown)", Virsh.run(uri, "domstate", "--reason", "linux1").ok());
                    assertTrue(console.awaitEnd(60), "virsh console ends with the domain: " + console.text());
                }
            } finally {
                Virsh.run(uri, "destroy", "linux1");
            }
        }
    }
}
