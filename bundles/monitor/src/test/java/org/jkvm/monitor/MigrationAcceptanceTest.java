package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.jkvm.monitor.EngineProcess.QmpClient;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3 acceptance 1, 2 (exec pipeline; the unix socket is {@link MigrationProcessTest}) and 4, and the seed's
 * offline example, through the human monitor exactly as the seed writes the commands, between two engine
 * processes on /dev/kvm.
 */
class MigrationAcceptanceTest {
    private static final long HB_MS = 300;

    @TempDir
    Path src;
    @TempDir
    Path dst;

    @Test
    void liveTcpMigrationOfA256MiBGuestDirtyingMemory() throws Exception {
        int port = EngineProcess.freePort();
        String append = "workload=verify mib=64 rate=4000 hb_ms=" + HB_MS;
        String[] common = {"-m", "256M", "-abi-fingerprint", "abi-1", "-append", append};
        try (EngineProcess a = EngineProcess.start(src, common);
                EngineProcess b = EngineProcess.start(dst, concat(common, "-incoming", "tcp:0:" + port));
                HmpClient ha = HmpClient.of(a); HmpClient hb = HmpClient.of(b)) {
            assertEquals("VM status: paused (inmigrate)", hb.cmd("info status"));
            a.awaitHeartbeats(4, 30_000);
            assertEquals("", ha.cmd("migrate -d tcp:127.0.0.1:" + port), "-d returns at once");
            Map<String, String> info = ha.awaitMigration("completed", 60_000);
            assertEquals("completed", info.get("Migration status"), info.toString());
            for (String field : List.of("total time", "downtime", "setup", "transferred ram", "throughput",
                    "remaining ram", "total ram", "duplicate", "normal", "normal bytes", "dirty sync count",
                    "page size", "dirty pages rate")) {
                assertTrue(info.containsKey(field), "info migrate shows '" + field + "': " + info);
            }
            assertEquals(256L << 10, Long.parseLong(info.get("total ram")), info.toString());
            assertTrue(Long.parseLong(info.get("normal")) >= 1000 && Long.parseLong(info.get("dirty sync count")) >= 2,
                    "the pages the guest wrote went whole, over more than one round: " + info);
            long downtime = Long.parseLong(info.get("downtime"));
            assertEquals("VM status: paused (postmigrate)", ha.cmd("info status"), "the source stays stopped");
            Heartbeats.assertContinues(a, b, 4, HB_MS, downtime);
            assertEquals("VM status: running", hb.cmd("info status"));
            hb.cmd("quit");
            ha.cmd("quit");
            assertEquals(0, b.awaitExit(30_000), b.stderr());
            assertEquals(0, a.awaitExit(30_000), a.stderr());
        }
    }

    @Test
    void execPipelineThroughNetcatToADestinationReadingExecCat() throws Exception {
        Require.command("nc");
        int port = EngineProcess.freePort();
        String append = "workload=verify mib=8 rate=1000 hb_ms=" + HB_MS;
        try (EngineProcess a = EngineProcess.start(src, "-append", append);
                EngineProcess b = EngineProcess.startPiped(dst, "nc -l 127.0.0.1 " + port, "-append", append,
                        "-incoming", "exec:cat");
                HmpClient ha = HmpClient.of(a)) {
            a.awaitHeartbeats(3, 30_000);
            String answer = ha.cmd("migrate \"exec:cat | nc -N 127.0.0.1 " + port + "\"");
            assertEquals("", answer, "migrate without -d returns once the pipeline took the whole stream");
            assertEquals("completed", ha.infoMigrate().get("Migration status"));
            assertEquals("VM status: paused (postmigrate)", ha.cmd("info status"));
            Heartbeats.assertContinues(a, b, 3, HB_MS, 1000);
            try (HmpClient hb = HmpClient.of(b)) {
                assertEquals("VM status: running", hb.cmd("info status"));
                hb.cmd("quit");
            }
            ha.cmd("quit");
            assertEquals(0, a.awaitExit(30_000), a.stderr());
        }
    }

    @Test
    void offlineMigrationOfAStoppedGuestArrivesPausedAndRunsAfterCont() throws Exception {
        int port = EngineProcess.freePort();
        String append = "workload=verify mib=8 rate=1000 hb_ms=" + HB_MS;
        try (EngineProcess a = EngineProcess.start(src, "-append", append);
                EngineProcess b = EngineProcess.start(dst, "-append", append, "-incoming", "defer");
                HmpClient ha = HmpClient.of(a); HmpClient hb = HmpClient.of(b); QmpClient qb = b.qmp()) {
            qb.execute("{\"execute\": \"qmp_capabilities\"}");
            assertEquals("VM status: paused (inmigrate)", hb.cmd("info status"));
            assertEquals("", hb.cmd("migrate_incoming tcp:0:" + port), "-incoming defer, then migrate_incoming");
            a.awaitHeartbeats(3, 30_000);
            assertEquals("", ha.cmd("migrate_set_speed 1g"));
            assertEquals("", ha.cmd("migrate_set_downtime 0.5"));
            String params = ha.cmd("info migrate_parameters");
            assertTrue(params.contains("max-bandwidth: " + (1L << 30)) && params.contains("downtime-limit: 500"),
                    params);
            assertEquals("", ha.cmd("stop"));
            long stopped = System.currentTimeMillis();
            assertEquals("", ha.cmd("migrate tcp:127.0.0.1:" + port), "blocking migrate of a stopped guest");
            assertEquals("completed", ha.infoMigrate().get("Migration status"));
            assertEquals("VM status: paused (postmigrate)", ha.cmd("info status"));
            // The source completes once it has sent the handover; the destination leaves inmigrate when that
            // arrives, a moment later (as on QEMU, where libvirt too waits for the destination).
            String status = org.jkvm.testkit.Await.value("the destination takes the handover", () -> String.valueOf(
                    ((Map<?, ?>) qb.execute("{\"execute\": \"query-status\"}").get("return")).get("status")),
                    st -> !st.equals("inmigrate"));
            assertEquals("paused", status, "a guest paused on the source stays paused on the destination");
            EngineProcess.observe(3 * HB_MS); // three heartbeat periods: a heartbeat now would be a fault
            assertEquals(List.of(), b.seqs(), "no heartbeat before cont: " + b.serialText());
            assertEquals(Map.of(), qb.execute("{\"execute\": \"cont\"}").get("return"));
            Heartbeats.assertContinues(a, b, 3, HB_MS, System.currentTimeMillis() - stopped);
            qb.execute("{\"execute\": \"quit\"}");
            ha.cmd("quit");
            assertEquals(0, b.awaitExit(30_000), b.stderr());
            assertEquals(0, a.awaitExit(30_000), a.stderr());
        }
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
