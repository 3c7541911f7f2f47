package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jkvm.testkit.Await;

/**
 * Issue 3 acceptance 5 to 9 between engine processes on /dev/kvm: a killed destination, a corrupted byte, a
 * configuration mismatch (RAM, CPU, ABI fingerprint), non-convergence with cancel and auto-converge, and the
 * bandwidth limit. In every case the source guest keeps running and its verify checker stays at errors=0.
 */
class MigrationFailureAcceptanceTest {
    private static final long HB_MS = 300;
    /** Writes a 16 MiB working set as fast as the vCPU can: far more than 16 MiB/s dirtied. */
    private static final String HOT = "workload=verify mib=16 rate=0 hb_ms=" + HB_MS;
    /**
     * Dirties the same 16 MiB at 8,192 pages/s (32 MiB/s), or as fast as a slower vCPU can: auto-converge's case.
     * Unpaced, a vCPU that rewrites all 16 MiB within one 10 ms running slice (the software CPU's translated code
     * does) dirties it all in every round even at 99 % throttle, so that converging depended on this host's CPU
     * speed; paced, a 990 ms throttle sleep is a backlog the firmware drops, as it is CPU time a guest loses.
     */
    private static final String HOT_PACED = "workload=verify mib=16 rate=8192 hb_ms=" + HB_MS;
    private static final String MILD = "workload=verify mib=4 rate=1000 hb_ms=" + HB_MS;

    @TempDir
    Path dir;

    private Path sub(String name) throws Exception {
        return Files.createDirectories(dir.resolve(name));
    }

    private static long num(Map<String, String> info, String key) {
        return Long.parseLong(info.get(key));
    }

    /** The source keeps running after a failure and its guest keeps passing verify. */
    private static void assertSourceRuns(EngineProcess a, HmpClient ha) throws Exception {
        assertEquals("VM status: running", ha.cmd("info status"));
        int seen = a.seqs().size();
        a.awaitHeartbeats(seen + 3, 30_000);
        Heartbeats.assertNoErrors("source", a.serialText());
    }

    @Test
    void killedDestinationLeavesTheSourceRunningAndItMigratesLater() throws Exception {
        int port = EngineProcess.freePort();
        try (EngineProcess a = EngineProcess.start(sub("a"), "-append", HOT);
                EngineProcess b = EngineProcess.start(sub("b"), "-append", HOT, "-incoming", "tcp:0:" + port);
                HmpClient ha = HmpClient.of(a)) {
            a.awaitHeartbeats(2, 30_000);
            ha.cmd("migrate_set_speed 16m");
            ha.cmd("migrate -d tcp:127.0.0.1:" + port);
            awaitRounds(ha, 2);
            b.kill();
            long killed = System.currentTimeMillis();
            Map<String, String> info = ha.awaitMigration("failed", 10_000);
            long noticed = System.currentTimeMillis() - killed;
            assertEquals("failed", info.get("Migration status"), info.toString());
            // A dead peer shows as a connection error, at once; waiting for a TCP timeout would take minutes. 30 s
            // tells the two apart on any host (a wide bound, not a speed goal).
            assertTrue(noticed < 30_000, "the source noticed the dead destination after " + noticed + " ms");
            assertTrue(info.getOrDefault("error description", "").length() > 10, info.toString());
            assertSourceRuns(a, ha);
            int port2 = EngineProcess.freePort();
            try (EngineProcess c = EngineProcess.start(sub("c"), "-append", HOT, "-incoming", "tcp:0:" + port2)) {
                ha.cmd("migrate_set_speed 1g");
                assertEquals("", ha.cmd("migrate tcp:127.0.0.1:" + port2), "a later migration succeeds");
                Heartbeats.assertContinues(a, c, 3, HB_MS, num(ha.infoMigrate(), "downtime"));
            }
        }
    }

    @Test
    void aFlippedBitIsRefusedWithAChecksumErrorAndTheSourceResumes() throws Exception {
        int port = EngineProcess.freePort();
        try (EngineProcess a = EngineProcess.start(sub("a"), "-append", MILD);
                EngineProcess b = EngineProcess.start(sub("b"), "-append", MILD, "-incoming", "tcp:0:" + port);
                FlipProxy proxy = new FlipProxy(port, 1_000_000); HmpClient ha = HmpClient.of(a)) {
            a.awaitHeartbeats(3, 30_000);
            String answer = ha.cmd("migrate tcp:127.0.0.1:" + proxy.port());
            assertTrue(answer.startsWith("Error: migration failed: ") && answer.contains("checksum")
                    && answer.matches("(?s).*\\b(RAM|CONFIG|ROUND_END|DEVICE|EOF)\\b.*"),
                    "the error names the checksum and the section: " + answer);
            assertEquals("failed", ha.infoMigrate().get("Migration status"));
            assertEquals(1, b.awaitExit(30_000), "the destination refuses and ends: " + b.stderr());
            assertTrue(b.stderr().contains("checksum"), b.stderr());
            assertTrue(b.seqs().isEmpty(), "the destination never ran: " + b.serialText());
            assertSourceRuns(a, ha);
        }
    }

    @Test
    void aDifferentDestinationIsRefusedAtTheHandshakeNamingTheDifference() throws Exception {
        try (EngineProcess a = EngineProcess.start(sub("a"), "-abi-fingerprint", "abi-A", "-append", MILD);
                HmpClient ha = HmpClient.of(a)) {
            a.awaitHeartbeats(2, 30_000);
            refused(a, ha, "ram.bytes: source 67108864, here 134217728", "-m", "128M", "-abi-fingerprint", "abi-A");
            refused(a, ha, "cpu.model: source qemu64, here qemu64,-nx", "-cpu", "qemu64,-nx",
                    "-abi-fingerprint", "abi-A");
            refused(a, ha, "domain.abi-fingerprint: source abi-A, here abi-B", "-abi-fingerprint", "abi-B");
            refused(a, ha, "domain.abi-fingerprint: only on the source (abi-A)");
        }
    }

    private void refused(EngineProcess a, HmpClient ha, String difference, String... destOptions) throws Exception {
        int port = EngineProcess.freePort();
        String[] opts = MigrationAcceptanceTest.concat(destOptions, "-append", MILD, "-incoming", "tcp:0:" + port);
        try (EngineProcess b = EngineProcess.start(sub("b" + port), opts)) {
            String answer = ha.cmd("migrate tcp:127.0.0.1:" + port);
            assertTrue(answer.startsWith("Error: migration failed: ") && answer.contains(difference),
                    "refused naming '" + difference + "': " + answer);
            Map<String, String> info = ha.infoMigrate();
            assertEquals("failed", info.get("Migration status"));
            assertTrue(num(info, "transferred ram") < 64, "refused before any RAM was sent: " + info);
            assertEquals("VM status: running", ha.cmd("info status"));
            assertEquals(1, b.awaitExit(30_000), b.stderr());
        }
        Heartbeats.assertNoErrors("source", a.serialText());
    }

    @Test
    void nonConvergenceIsReportedHonoursTheLimitIsCancelledThenAutoConvergeCompletes() throws Exception {
        int port = EngineProcess.freePort();
        try (EngineProcess a = EngineProcess.start(sub("a"), "-append", HOT);
                EngineProcess b = EngineProcess.start(sub("b"), "-append", HOT, "-incoming", "tcp:0:" + port);
                HmpClient ha = HmpClient.of(a)) {
            a.awaitHeartbeats(2, 30_000);
            ha.cmd("migrate_set_speed 16m");
            ha.cmd("migrate -d tcp:127.0.0.1:" + port);
            Map<String, String> r2 = awaitRounds(ha, 2);
            assertBandwidth(ha, 16 << 20);
            Map<String, String> r4 = awaitRounds(ha, 4);
            assertEquals("active", r4.get("Migration status"), "still not converged: " + r4);
            // How fast the guest dirties is this host's CPU speed (7.7 MiB/s at load 11 once, 16 MiB/s idle): it
            // is shown, not bounded; what must hold is that the estimate stays over the limit and says why.
            assertTrue(num(r4, "expected downtime") > 300 && num(r4, "dirty pages rate") > 0,
                    "info migrate shows why: the working set is dirtied again each round, so the expected downtime "
                    + "stays over 300 ms: " + r4);
            System.out.println("non-convergence: dirty pages rate " + num(r4, "dirty pages rate") + "/s, expected"
                    + " downtime " + num(r4, "expected downtime") + " ms at 16 MiB/s");
            assertTrue(num(r4, "dirty sync count") > num(r2, "dirty sync count"), "rounds climb");
            ha.cmd("migrate_set_speed 8m");
            assertBandwidth(ha, 8 << 20);
            assertEquals("", ha.cmd("migrate_cancel"));
            assertEquals("cancelled", ha.awaitMigration("cancelled", 10_000).get("Migration status"));
            assertSourceRuns(a, ha);
            assertEquals(1, b.awaitExit(30_000), "the destination gives up: " + b.stderr());
        }
        autoConverge();
    }

    private void autoConverge() throws Exception {
        int port = EngineProcess.freePort();
        try (EngineProcess a = EngineProcess.start(sub("a2"), "-append", HOT_PACED);
                EngineProcess b = EngineProcess.start(sub("b2"), "-append", HOT_PACED, "-incoming", "tcp:0:" + port);
                HmpClient ha = HmpClient.of(a)) {
            a.awaitHeartbeats(2, 30_000);
            ha.cmd("migrate_set_speed 16m");
            assertEquals("", ha.cmd("migrate_set_capability auto-converge on"));
            assertEquals("", ha.cmd("migrate_set_parameter cpu-throttle-initial 90"));
            assertEquals("", ha.cmd("migrate_set_parameter cpu-throttle-increment 9"));
            assertEquals("", ha.cmd("migrate tcp:127.0.0.1:" + port), "auto-converge makes it complete");
            Map<String, String> info = ha.infoMigrate();
            assertEquals("completed", info.get("Migration status"));
            Heartbeats.assertContinues(a, b, 3, HB_MS, num(info, "downtime"));
        }
    }

    /** Polls until at least {@code n} dirty syncs; fails if the job ends first. */
    private static Map<String, String> awaitRounds(HmpClient ha, long n) {
        return Await.value(n + " dirty syncs", ha::infoMigrate, info -> {
            String status = info.get("Migration status");
            assertTrue(status.equals("setup") || status.equals("active"), info.toString());
            return num(info, "dirty sync count") >= n;
        });
    }

    /**
     * The limit is respected on average over a long window, a correctness property that load cannot break (a
     * loaded host only sends less): the time it takes to send two seconds' worth of bytes at the limit is at least
     * what the limit allows, less a documented allowance of 30 % plus 2 MiB (the token bucket's burst, one
     * 100 ms slice sent at a previous, higher limit just changed, and info migrate's 1 KiB rounding). The clock is
     * read so that the measured interval is never longer than the true one: after the first answer arrives,
     * before the last question leaves. How close to the limit the migration gets is a speed: MigrationBench.
     */
    private static void assertBandwidth(HmpClient ha, long limit) throws IOException {
        long b0 = num(ha.infoMigrate(), "transferred ram") * 1024;
        long t0 = System.nanoTime();
        long[] asked = new long[1];
        long b1 = Await.value("two seconds' worth of bytes at " + limit + " bytes/s", () -> {
            asked[0] = System.nanoTime();
            return num(ha.infoMigrate(), "transferred ram") * 1024;
        }, b -> b >= b0 + 2 * limit);
        double seconds = (asked[0] - t0) / 1e9;
        long allowed = (long) (limit * 1.3 * seconds) + (2L << 20);
        assertTrue(b1 - b0 <= allowed, "sent " + (b1 - b0) + " bytes in " + seconds + " s under a limit of " + limit
                + " bytes/s (allowed " + allowed + ")");
    }
}
