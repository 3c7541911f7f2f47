package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.jkvm.monitor.EngineProcess.QmpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jkvm.testkit.Await;

/**
 * The monitor's migration wiring end to end over QMP: two engine processes, live migration over a unix socket
 * (issue 3 acceptance 2, unix), save to a file and restore under -S, a failed incoming migration.
 */
class MigrationProcessTest {
    private static final String APPEND = "workload=verify mib=4 rate=200 hb_ms=300";

    @TempDir
    Path src;
    @TempDir
    Path dst;

    @Test
    void liveMigrationMovesTheRunningGuestWithoutLosingPages() throws Exception {
        Path migSock = dst.resolve("mig.sock");
        try (EngineProcess a = EngineProcess.start(src, "-append", APPEND);
                EngineProcess b = EngineProcess.start(dst, "-append", APPEND, "-incoming", "unix:" + migSock);
                QmpClient qa = new QmpClient(a.qmpSocket); QmpClient qb = b.qmp()) {
            qa.execute("{\"execute\": \"qmp_capabilities\"}");
            qb.execute("{\"execute\": \"qmp_capabilities\"}");
            assertEquals("inmigrate", status(qb));
            a.awaitHeartbeats(3, 30_000);
            Map<String, Object> r = qa.execute("{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"unix:"
                    + migSock + "\"}}");
            assertEquals(Map.of(), r.get("return"), r.toString());
            awaitStatus(qa, "completed");
            Map<?, ?> info = (Map<?, ?>) qa.execute("{\"execute\": \"query-migrate\"}").get("return");
            assertEquals("completed", info.get("status"), info.toString());
            assertTrue(((Map<?, ?>) info.get("ram")).get("transferred") instanceof Long, info.toString());
            assertEquals("postmigrate", status(qa));
            Heartbeats.assertContinues(a, b, 3, 300, (Long) info.get("downtime"));
            assertEquals("running", status(qb));
            qb.execute("{\"execute\": \"quit\"}");
            qa.execute("{\"execute\": \"quit\"}");
            assertEquals(0, b.awaitExit(30_000), b.stderr());
            assertEquals(0, a.awaitExit(30_000), a.stderr());
        }
    }

    private static String status(QmpClient q) throws Exception {
        return (String) ((Map<?, ?>) q.execute("{\"execute\": \"query-status\"}").get("return")).get("status");
    }

    private static void awaitStatus(QmpClient q, String want) throws Exception {
        while (true) {
            Map<String, Object> e = q.awaitEvent("MIGRATION");
            q.events.remove(e);
            Object s = ((Map<?, ?>) e.get("data")).get("status");
            if (want.equals(s)) {
                return;
            }
            if ("failed".equals(s) || "cancelled".equals(s)) {
                throw new AssertionError("migration " + s + ": "
                        + q.execute("{\"execute\": \"query-migrate\"}"));
            }
        }
    }

    @Test
    void saveToAFileAndRestorePausedUnderDashS() throws Exception {
        Path image = src.resolve("vm.state");
        try (EngineProcess a = EngineProcess.start(src, "-append", APPEND); QmpClient qa = a.qmp()) {
            qa.execute("{\"execute\": \"qmp_capabilities\"}");
            a.awaitHeartbeats(2, 30_000);
            qa.execute("{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"exec:cat > " + image + "\"}}");
            awaitStatus(qa, "completed");
            qa.execute("{\"execute\": \"quit\"}");
            assertEquals(0, a.awaitExit(30_000), a.stderr());
        }
        try (EngineProcess b = EngineProcess.start(dst, "-S", "-append", APPEND, "-incoming", "exec:cat " + image);
                QmpClient qb = b.qmp()) {
            qb.execute("{\"execute\": \"qmp_capabilities\"}");
            assertEquals("paused", Await.value("the restore ends", () -> status(qb), s -> !s.equals("inmigrate")),
                    "-S keeps the restored guest paused");
            EngineProcess.observe(3 * 300); // three heartbeat periods (hb_ms=300): a heartbeat now would be a fault
            assertEquals(List.of(), b.seqs(), "no heartbeat before cont: " + b.serialText());
            qb.execute("{\"execute\": \"cont\"}");
            List<Integer> seqs = b.awaitHeartbeats(2, 30_000);
            assertTrue(seqs.get(0) > 0, "the guest continues where it was saved: " + seqs);
            qb.execute("{\"execute\": \"quit\"}");
            assertEquals(0, b.awaitExit(30_000), b.stderr());
        }
    }

    @Test
    void aFailedIncomingMigrationEndsTheEngineWithStatus1() throws Exception {
        try (EngineProcess b = EngineProcess.start(dst, "-incoming", "exec:cat " + dst.resolve("missing.state"))) {
            assertEquals(1, b.awaitExit(30_000), b.stderr());
            assertTrue(b.stderr().contains("jkvm-engine: the incoming migration failed: the stream from exec:cat"),
                    b.stderr());
        }
    }
}
