package org.jkvm.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

import org.jkvm.testkit.Await;
import org.jkvm.testkit.RepoPaths;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, acceptance 2's plumbing through libvirt with the real virsh, the daemon and the real engine (KVM where it
 * works, else the software CPU): {@code virsh console} reaches the guest's COM1 through the engine's console socket
 * (typed letters go through the 16550's receive path and come back in upper case; one session at a time, {@code
 * --force} takes it over), and {@code virsh shutdown}
 * presses the ACPI power button, on which the guest enters S5 and the domain ends shut off (shutdown). The guest is
 * {@code console-guest.S} beside this test's resources (it polls; interrupts are PlatformInterruptTest's).
 */
class ConsoleShutdownTest {
    /** {@code console-guest.S}, assembled and linked at 0 (position-independent). */
    static final String CODE = "48c7c400000800488d3574000000e86200000066bafd03eca801741666baf803ec3c6172063c7a77022c20"
            + "e832000000ebe166ba000666ed66a900017504f390ebd166b8000166ef488d3548000000e82100000066ba040666b8003466"
            + "eff390ebfc88c466bafd03eca82074fb66baf80388e0eec3ac84c07407e8e3ffffffebf4c3636f6e736f6c65206775657374"
            + "2072656164790a00706f77657220627574746f6e3a2053350a00";
    /** The jkvm boot header's magic ("JKVMBOOT"), contracts §1. */
    private static final long BOOT_MAGIC = 0x544F4F424D564B4AL;
    private static final long LOAD = 0x100000;
    private static final int PAYLOAD = 0x80;
    private static final int HEADER = 24;

    @TempDir
    Path dir;
    private Daemon daemon;

    @AfterEach
    void stop() {
        if (daemon != null) {
            for (String name : Virsh.run(daemon.unixUri(), "list", "--name").out().split("\\s+")) {
                if (!name.isBlank()) {
                    Virsh.run(daemon.unixUri(), "destroy", name);
                }
            }
            daemon.close();
        }
    }

    /** An ELF32 with one PT_LOAD segment at 1 MiB: the jkvm boot header, whose 64-bit entry is {@code code}. */
    static byte[] elf(byte[] code) {
        int segment = HEADER + code.length;
        ByteBuffer b = ByteBuffer.allocate(PAYLOAD + segment).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0x464C457F).put(4, (byte) 1).put(5, (byte) 1).put(6, (byte) 1);
        b.putShort(16, (short) 2).putShort(18, (short) 3).putInt(20, 1).putInt(24, (int) LOAD).putInt(28, 52);
        b.putShort(40, (short) 52).putShort(42, (short) 32).putShort(44, (short) 1);
        b.putInt(52, 1).putInt(56, PAYLOAD).putInt(60, (int) LOAD).putInt(64, (int) LOAD);
        b.putInt(68, segment).putInt(72, segment).putInt(76, 5);
        b.putLong(PAYLOAD, BOOT_MAGIC).putLong(PAYLOAD + 8, LOAD + HEADER).putInt(PAYLOAD + 16, 1);
        b.position(PAYLOAD + HEADER);
        b.put(code);
        return b.array();
    }

    @Test
    void virshConsoleTypesIntoTheGuestAndVirshShutdownPowersItOffThroughAcpi() throws Exception {
        Require.command("virsh");
        Require.command("script");
        Backend.requireGuests();
        String engine = Require.path(RepoPaths.of("bin", "jkvm-engine"), "the engine launcher is in the repository")
                .toString();
        Path kernel = dir.resolve("console-guest.elf");
        Files.write(kernel, elf(HexFormat.of().parseHex(CODE)));
        Path xml = dir.resolve("con.xml");
        Files.writeString(xml, Guest.xml("con", "").replace("    <cmdline></cmdline>\n",
                "    <kernel>" + kernel + "</kernel>\n"));
        Path state = dir.resolve("state");
        daemon = new Daemon(state, engine);
        String uri = daemon.unixUri();
        Virsh.run(uri, "define", xml.toString()).ok();
        Virsh.run(uri, "start", "con").ok();
        Path log = state.resolve("log").resolve("con.serial");
        Await.until("the guest's first line in " + log, () -> Files.exists(log)
                && Files.readString(log, StandardCharsets.ISO_8859_1).contains("console guest ready\n"));

        try (VirshConsole first = VirshConsole.open(uri, "con")) {
            first.type("hello jkvm");
            Await.until("the guest's echo on the console", () -> first.text().contains("HELLO JKVM"));
            try (VirshConsole second = VirshConsole.open(uri, "con")) {
                assertTrue(second.awaitEnd(60), "a second session is refused: " + second.text());
                assertTrue(second.text().contains("Active console session exists for this domain"), second.text());
            }
            checkTakeOverAndShutdown(uri, first);
        }
        String all = Files.readString(log, StandardCharsets.ISO_8859_1);
        assertTrue(all.contains("console guest ready\nHELLO JKVMAGAINpower button: S5\n"),
                "the serial log keeps all output, typed echo included: " + all);
    }

    /** {@code virsh console --force} ends {@code first}'s session and has the console; then virsh shutdown. */
    private static void checkTakeOverAndShutdown(String uri, VirshConsole first) throws Exception {
        try (VirshConsole console = VirshConsole.open(uri, "con", true)) {
            assertTrue(first.awaitEnd(60), "the first session ends when another forces the console: "
                    + first.text());
            console.type("again");
            Await.until("the guest's echo on the forced console", () -> console.text().contains("AGAIN"));
            Virsh.run(uri, "shutdown", "con").ok();
            Await.until("the domain shut off", () -> Virsh.run(uri, "domstate", "con").out().equals("shut off"));
            assertEquals("shut off (shutdown)", Virsh.run(uri, "domstate", "--reason", "con").ok());
            assertTrue(console.awaitEnd(60), "virsh console ends with the domain: " + console.text());
            assertTrue(console.text().contains("power button: S5"), "the console saw the guest's last line: "
                    + console.text());
        }
    }
}
