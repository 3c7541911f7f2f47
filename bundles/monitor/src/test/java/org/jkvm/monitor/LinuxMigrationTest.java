package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 13 acceptance 3: a stock Debian kernel, booted to the kit's shell with its memory checker running, migrates
 * live and then through a gzip state file (save/restore), and on the far side: the checker completes whole passes
 * over its working set with 0 bad pages, CLOCK_MONOTONIC (the checker's {@code tsc=}, in ns) never goes back, the
 * wall clock moves against the host's by no more than the downtime plus 1 s, a shell timer armed before the
 * migration fires after it, and the shell answers. The guest is powered off from its shell at the end (exit 0).
 *
 * <p>Software CPU to software CPU runs everywhere. The KVM rows run where a KVM can boot a stock kernel; kvm_pvm
 * (the nested software KVM of the project's test machines) cannot (no protected-mode IRET), so they skip there.
 */
class LinuxMigrationTest {
    /** Not anchored: the shell shares the console, so a heartbeat may follow its prompt on one line. */
    private static final Pattern HB = Pattern.compile(
            "hb seq=(\\d+) ms=\\d+ pages=\\d+ gen=(\\d+) errors=(\\d+) tsc=(\\d+) tsc_back=(\\d+) verify_bad=(\\d+)",
            Pattern.MULTILINE);
    private static final long HB_MS = 1000;

    @TempDir
    Path dir;

    /** One heartbeat of the in-guest checker. */
    record Beat(int seq, int gen, int errors, long monoNs, int monoBack, int verifyBad) {
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"tcg, tcg", "kvm, kvm", "kvm, tcg"})
    void aBootedLinuxGuestMigratesLiveThenThroughAStateFile(String from, String to) throws Exception {
        LinuxKit.Kit kit = LinuxKit.require();
        Require.that(Backends.installed(Accelerator.TCG), "the software CPU (bundles/softcpu) is not built");
        if (from.equals("kvm") || to.equals("kvm")) {
            Assumptions.assumeTrue(Require.kvmAvailable(), "no KVM here (" + Require.kvmDevice() + ")");
            Assumptions.assumeFalse(Files.exists(Path.of("/sys/module/kvm_pvm")), "this host's KVM is kvm_pvm, "
                    + "a nested software KVM that cannot boot a stock Linux kernel (no protected-mode IRET)");
        }
        String append = kit.cmdline().replaceAll("jkvm\\.hb_ms=\\d+", "") + " jkvm.hb_ms=" + HB_MS;
        String[] guest = {"-m", "512M", "-kernel", kit.kernel().toString(), "-initrd", kit.initrd().toString(),
            "-append", append};
        Path a = Files.createDirectory(dir.resolve("a"));
        Path b = Files.createDirectory(dir.resolve("b"));
        Path c = Files.createDirectory(dir.resolve("c"));
        int port = EngineProcess.freePort();
        try (EngineProcess src = EngineProcess.startWithConsole(a, Map.of(), concat(guest, "-accel", from));
                EngineProcess dst = EngineProcess.startWithConsole(b, Map.of(),
                        concat(guest, "-accel", to, "-incoming", "tcp:127.0.0.1:" + port))) {
            Await.until("the kit's shell starts", Duration.ofMinutes(6), () -> alive(src)
                    && src.serialText().contains("jkvm-init: shell on"));
            src.awaitHeartbeats(3, 120_000);
            long offsetBefore;
            try (GuestConsole console = GuestConsole.of(src)) {
                offsetBefore = console.wallClockOffsetMs();
                console.type("(sleep 15; echo \"timer-$((40+2))-fired\") &");
            }
            long downtime = migrate(src, "tcp:127.0.0.1:" + port);
            assertFalse(src.serialText().contains("timer-42-fired"), "the timer fired before the migration ended "
                    + "(it took more than 15 s), so it proves nothing");
            checkFarSide(List.of(src), dst, offsetBefore, downtime);
            Await.until("the timer armed before the migration fires on the destination", Duration.ofMinutes(2),
                    () -> alive(dst) && dst.serialText().contains("timer-42-fired"));
            assertFalse(src.serialText().contains("timer-42-fired"), "the source stays stopped");

            Path state = dir.resolve("linux.state.gz");
            long offsetSaved;
            try (GuestConsole console = GuestConsole.of(dst)) {
                offsetSaved = console.wallClockOffsetMs();
            }
            long saveStarted = System.currentTimeMillis(); // before the guest stops: the gap's upper bound
            migrate(dst, "exec:gzip -c > " + state);
            try (EngineProcess restored = EngineProcess.startWithConsole(c, Map.of(),
                    concat(guest, "-accel", from, "-incoming", "exec:gzip -c -d " + state))) {
                awaitRunning(restored);
                long gap = System.currentTimeMillis() - saveStarted; // the guest stood still at most this long
                checkFarSide(List.of(src, dst), restored, offsetSaved, gap);
                try (GuestConsole console = GuestConsole.of(restored)) {
                    console.type("poweroff");
                }
                assertEquals(0, restored.awaitExit(120_000), "poweroff ends the engine with 0: "
                        + restored.stderr());
            }
            try (QmpClient q = src.qmp()) {
                q.execute("{\"execute\": \"qmp_capabilities\"}");
                q.execute("{\"execute\": \"quit\"}");
            }
        }
    }

    /** Migrates the guest of {@code engine} to {@code uri} (QMP migrate), waits for its end, returns the downtime. */
    private static long migrate(EngineProcess engine, String uri) throws IOException {
        try (QmpClient q = engine.qmp()) {
            q.execute("{\"execute\": \"qmp_capabilities\"}");
            Map<String, Object> r = q.execute("{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"" + uri
                    + "\"}}");
            assertTrue(r.containsKey("return"), r.toString());
            Map<?, ?> info = Await.value("the migration to " + uri + " ends", Duration.ofMinutes(3), () ->
                    (Map<?, ?>) q.execute("{\"execute\": \"query-migrate\"}").get("return"),
                    m -> List.of("completed", "failed", "cancelled").contains(m.get("status")));
            assertEquals("completed", info.get("status"), info.toString());
            return ((Number) info.get("downtime")).longValue();
        }
    }

    private static void awaitRunning(EngineProcess engine) throws IOException {
        try (QmpClient q = engine.qmp()) {
            q.execute("{\"execute\": \"qmp_capabilities\"}");
            Await.value("the restored guest runs", Duration.ofMinutes(3), () -> {
                alive(engine);
                return (Map<?, ?>) q.execute("{\"execute\": \"query-status\"}").get("return");
            }, m -> "running".equals(m.get("status")));
        }
    }

    /**
     * The guest on {@code far} after a migration: heartbeats continue the earlier text's with no gap, two whole
     * passes of the checker over its working set end with no error, the monotonic clock never went back, the shell
     * answers and the wall clock moved against the host's by at most the downtime plus 1 s.
     */
    private static void checkFarSide(List<EngineProcess> earlier, EngineProcess far, long offsetBefore,
            long downtimeMs) throws IOException {
        List<Beat> old = beats(text(earlier));
        assertFalse(old.isEmpty(), "heartbeats before the migration: " + text(earlier));
        int genAtMigration = old.get(old.size() - 1).gen();
        // The earlier engines' serial logs are read again each time: their writers may still be flushing the last
        // line when the migration ends.
        List<Beat> all = Await.value("two whole passes of the checker after the migration", Duration.ofMinutes(3),
                () -> {
                    if (!alive(far)) {
                        throw new AssertionError("the destination ended; stderr: " + far.stderr());
                    }
                    return beats(text(earlier) + far.serialText());
                }, bs -> bs.get(bs.size() - 1).gen() >= genAtMigration + 3);
        for (int i = 1; i < all.size(); i++) {
            Beat p = all.get(i - 1);
            Beat q = all.get(i);
            assertEquals(p.seq() + 1, q.seq(), "consecutive heartbeats across the migration: " + far.serialText());
            assertTrue(q.monoNs() > p.monoNs(), "CLOCK_MONOTONIC went back from " + p + " to " + q);
        }
        for (Beat x : all) {
            assertTrue(x.errors() == 0 && x.verifyBad() == 0 && x.monoBack() == 0, "the checker reports " + x
                    + ":\n" + far.serialText());
        }
        try (GuestConsole console = GuestConsole.of(far)) {
            assertEquals("answer-42\n", console.run("echo answer-$((6*7))"), "the shell answers");
            long jump = console.wallClockOffsetMs() - offsetBefore;
            System.out.printf("Linux guest on %s: %d heartbeats checked (gen %d -> %d), stop %d ms, wall clock "
                    + "moved %d ms against the host's%n", far.dir.getFileName(), all.size(), genAtMigration,
                    all.get(all.size() - 1).gen(), downtimeMs, jump);
            assertTrue(Math.abs(jump) <= downtimeMs + 1000, "the guest's wall clock moved " + jump
                    + " ms against the host's over a migration with " + downtimeMs + " ms downtime");
        }
    }

    private static String text(List<EngineProcess> engines) throws IOException {
        StringBuilder b = new StringBuilder();
        for (EngineProcess e : engines) {
            b.append(e.serialText());
        }
        return b.toString();
    }

    private static List<Beat> beats(String serial) {
        List<Beat> out = new ArrayList<>();
        Matcher m = HB.matcher(serial.replace("\r", ""));
        while (m.find()) {
            out.add(new Beat(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                    Integer.parseInt(m.group(3)), Long.parseLong(m.group(4)), Integer.parseInt(m.group(5)),
                    Integer.parseInt(m.group(6))));
        }
        return out;
    }

    private static boolean alive(EngineProcess e) throws IOException {
        if (!e.process.isAlive()) {
            throw new AssertionError("the engine ended (status " + e.process.exitValue() + "); stderr: "
                    + e.stderr() + "\nserial: " + e.serialText());
        }
        return true;
    }

    private static String[] concat(String[] a, String... b) {
        return MigrationAcceptanceTest.concat(a, b);
    }
}
