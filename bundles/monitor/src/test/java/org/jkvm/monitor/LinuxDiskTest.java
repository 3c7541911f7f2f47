package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jkvm.engine.Backends;
import org.jkvm.hypervisor.Accelerator;
import org.jkvm.monitor.EngineProcess.QmpClient;
import org.jkvm.testkit.Await;
import org.jkvm.testkit.LinuxKit;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 item 7, its Linux half: the kit's jkvm-verify runs the firmware's own disk workload on {@code /dev/vda}
 * through the stock kernel's virtio_blk driver with O_DIRECT (a stricter client of jkvm's virtio-blk than the
 * firmware: interrupts, its own queue handling, flushes from fdatasync). The guest's disk is a qcow2 overlay on a
 * raw base in one directory both engines see; the guest migrates live (software CPU to software CPU) and its checker
 * goes on over the destination with {@code disk_bad=0}; powered off there, a new guest on the same image re-checks
 * the whole range from the on-disk header with {@code disk_bad=0}. The disk's interrupts are MSI-X messages (its
 * request queue's line in {@code /proc/interrupts} is PCI-MSI), and that count rises on the destination too.
 */
class LinuxDiskTest {
    private static final Pattern REQ_IRQ = Pattern.compile("(?m)^\\s*\\d+:\\s+(\\d+)\\s+(.*)virtio\\d+-req\\.0$");
    private static final Pattern HB = Pattern.compile(
            "hb seq=(\\d+) ms=\\d+ pages=\\d+ gen=\\d+ errors=(\\d+) tsc=\\d+ tsc_back=\\d+ verify_bad=\\d+ "
                    + "disk_writes=(\\d+) disk_bad=(\\d+)");

    @TempDir
    Path dir;

    /** One heartbeat of the disk checker. */
    record Beat(int seq, int errors, long writes, long bad) {
    }

    @Test
    void theKernelsVirtioBlkCarriesTheDiskCheckerAcrossALiveMigrationAndARestart() throws Exception {
        LinuxKit.Kit kit = LinuxKit.require();
        Require.that(Backends.installed(Accelerator.TCG), "the software CPU (bundles/softcpu) is not built");
        Require.command("qemu-img");
        Path images = Files.createDirectory(dir.resolve("images"));
        run("qemu-img", "create", "-q", "-f", "raw", images.resolve("base.raw").toString(), "64M");
        run("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw",
                images.resolve("top.qcow2").toString());
        String append = kit.cmdline().replaceAll("jkvm\\.(workload|mib|rate|hb_ms)=\\S+", "")
                + " jkvm.workload=disk jkvm.mib=4 jkvm.rate=200 jkvm.hb_ms=1000";
        String[] guest = {"-m", "512M", "-accel", "tcg", "-kernel", kit.kernel().toString(), "-initrd",
            kit.initrd().toString(), "-append", append, "-drive",
            "file=" + images.resolve("top.qcow2") + ",format=qcow2,if=virtio,cache=none"};
        int port = EngineProcess.freePort();
        try (EngineProcess src = EngineProcess.startWithConsole(Files.createDirectory(dir.resolve("a")), Map.of(),
                guest);
                EngineProcess dst = EngineProcess.startWithConsole(Files.createDirectory(dir.resolve("b")), Map.of(),
                        MigrationAcceptanceTest.concat(guest, "-incoming", "tcp:127.0.0.1:" + port))) {
            Await.until("the disk checker's third heartbeat on A", Duration.ofMinutes(6),
                    () -> beats(alive(src).serialText()).size() >= 3);
            assertTrue(src.serialText().contains("resume=fresh"), src.serialText());
            long onA = msixCompletions(src);
            migrate(src, "tcp:127.0.0.1:" + port);
            long atMigration = last(beats(src.serialText())).writes();
            List<Beat> onB = Await.value("five heartbeats of the checker on B", Duration.ofMinutes(3),
                    () -> beats(alive(dst).serialText()), bs -> bs.size() >= 5);
            for (Beat b : onB) {
                assertTrue(b.errors() == 0 && b.bad() == 0, "B's checker: " + b + "\n" + dst.serialText());
            }
            assertTrue(last(onB).writes() > atMigration, "writes go on on B after " + atMigration + ": " + onB);
            long onB2 = msixCompletions(dst);
            assertTrue(onB2 > onA, "B delivers the disk's MSI-X messages: " + onA + " on A, " + onB2 + " on B");
            try (GuestConsole console = GuestConsole.of(dst)) {
                console.type("poweroff");
            }
            assertEquals(0, dst.awaitExit(120_000), "poweroff ends the engine with 0: " + dst.stderr());
            quit(src);
        }
        try (EngineProcess again = EngineProcess.startWithConsole(Files.createDirectory(dir.resolve("c")), Map.of(),
                guest)) {
            Await.until("the restarted checker's first heartbeat", Duration.ofMinutes(6),
                    () -> !beats(alive(again).serialText()).isEmpty());
            String text = again.serialText();
            Matcher m = Pattern.compile("resume=header checked=(\\d+) newer=\\d+ disk_bad=(\\d+)").matcher(text);
            assertTrue(m.find(), "the restarted guest resumes from the on-disk header: " + text);
            assertEquals(4 * 2048 - 8, Integer.parseInt(m.group(1)), "the whole range is checked: " + m.group());
            assertEquals(0, Integer.parseInt(m.group(2)), "no bad sector after the migration and the restart: "
                    + m.group());
            quit(again);
        }
    }

    /**
     * The guest's count of its disk's request-queue interrupts, asserting that they are MSI-X messages (the kernel's
     * virtio_pci took MSI-X, one vector per queue, instead of falling back to the shared INTx line).
     */
    private static long msixCompletions(EngineProcess engine) throws IOException {
        try (GuestConsole console = GuestConsole.of(engine)) {
            String irqs = console.run("grep virtio /proc/interrupts");
            Matcher m = REQ_IRQ.matcher(irqs.strip());
            assertTrue(m.find(), "a request-queue vector of the disk in /proc/interrupts: " + irqs);
            assertTrue(m.group(2).contains("PCI-MSI"), "the disk's interrupts are PCI-MSI(X): " + irqs);
            return Long.parseLong(m.group(1));
        }
    }

    private static void migrate(EngineProcess engine, String uri) throws IOException {
        try (QmpClient q = engine.qmp()) {
            q.execute("{\"execute\": \"qmp_capabilities\"}");
            assertTrue(q.execute("{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"" + uri + "\"}}")
                    .containsKey("return"));
            Map<?, ?> info = Await.value("the migration to " + uri + " ends", Duration.ofMinutes(3), () ->
                    (Map<?, ?>) q.execute("{\"execute\": \"query-migrate\"}").get("return"),
                    m -> List.of("completed", "failed", "cancelled").contains(m.get("status")));
            assertEquals("completed", info.get("status"), info.toString());
        }
    }

    private static void quit(EngineProcess engine) throws IOException {
        try (QmpClient q = engine.qmp()) {
            q.execute("{\"execute\": \"qmp_capabilities\"}");
            q.execute("{\"execute\": \"quit\"}");
        }
    }

    private static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
    }

    private static List<Beat> beats(String serial) {
        List<Beat> out = new ArrayList<>();
        Matcher m = HB.matcher(serial.replace("\r", ""));
        while (m.find()) {
            out.add(new Beat(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Long.parseLong(m.group(3)),
                    Long.parseLong(m.group(4))));
        }
        return out;
    }

    private static Beat last(List<Beat> beats) {
        return beats.get(beats.size() - 1);
    }

    private static EngineProcess alive(EngineProcess e) throws IOException {
        if (!e.process.isAlive()) {
            throw new AssertionError("the engine ended (status " + e.process.exitValue() + "); stderr: "
                    + e.stderr() + "\nserial: " + e.serialText());
        }
        return e;
    }
}
