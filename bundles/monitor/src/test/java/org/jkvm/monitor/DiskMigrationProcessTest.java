package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.jkvm.block.BlockException;
import org.jkvm.block.BlockImages;
import org.jkvm.block.ImageFormat;
import org.jkvm.block.OpenOptions;
import org.jkvm.monitor.EngineProcess.QmpClient;
import org.jkvm.testkit.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 item 5 between two engine processes over QMP and tcp: a guest with a qcow2 overlay on a raw base in one
 * shared directory migrates live; the write lock moves from the source's process to the destination's (a third
 * writer's open names the holder's pid), and the source, left in postmigrate, holds no lock. A destination killed
 * mid-stream leaves the source running, verifying and the only writer; a later migration moves the lock.
 */
class DiskMigrationProcessTest {
    private static final String APPEND = "workload=verify mib=4 rate=200 hb_ms=300";

    @TempDir
    Path shared;
    @TempDir
    Path src;
    @TempDir
    Path dst;

    private static String refusal(Path top) {
        return assertThrows(BlockException.class,
                () -> BlockImages.open(top, OpenOptions.of(ImageFormat.QCOW2)).close()).getMessage();
    }

    @Test
    void theWriteLockMovesToTheDestinationProcess() throws Exception {
        Files.write(shared.resolve("base.raw"), new byte[1 << 20]);
        Path top = shared.resolve("top.qcow2");
        BlockImages.createQcow2(top, 1 << 20, 65536, "base.raw", ImageFormat.RAW);
        String drive = "file=" + top + ",format=qcow2,if=virtio";
        int port = EngineProcess.freePort();
        try (EngineProcess a = EngineProcess.start(src, "-append", APPEND, "-drive", drive);
                EngineProcess b = EngineProcess.start(dst, "-append", APPEND, "-drive", drive,
                        "-incoming", "tcp:127.0.0.1:" + port);
                QmpClient qa = new QmpClient(a.qmpSocket); QmpClient qb = b.qmp()) {
            qa.execute("{\"execute\": \"qmp_capabilities\"}");
            qb.execute("{\"execute\": \"qmp_capabilities\"}");
            a.awaitHeartbeats(2, 60_000);
            String before = refusal(top);
            assertTrue(before.contains("jkvm, pid " + a.process.pid()), before);
            Map<String, Object> r = qa.execute("{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"tcp:127.0.0.1:"
                    + port + "\"}}");
            assertEquals(Map.of(), r.get("return"), r.toString());
            String status = Await.value("the migration ends", () -> (String) ((Map<?, ?>) qa.execute(
                    "{\"execute\": \"query-migrate\"}").get("return")).get("status"),
                    s -> "completed".equals(s) || "failed".equals(s) || "cancelled".equals(s));
            assertEquals("completed", status, qa.execute("{\"execute\": \"query-migrate\"}").toString());
            Await.until("the destination runs", () -> "running".equals(((Map<?, ?>) qb.execute(
                    "{\"execute\": \"query-status\"}").get("return")).get("status")));
            String after = refusal(top);
            assertTrue(after.contains("jkvm, pid " + b.process.pid()), after);
            b.awaitHeartbeats(2, 60_000);
            qb.execute("{\"execute\": \"quit\"}");
            assertEquals(0, b.awaitExit(30_000), b.stderr());
            // The source process still runs (postmigrate) and holds no lock: a writer may open the image.
            assertTrue(a.process.isAlive());
            BlockImages.open(top, OpenOptions.of(ImageFormat.QCOW2)).close();
            qa.execute("{\"execute\": \"quit\"}");
            assertEquals(0, a.awaitExit(30_000), a.stderr());
        }
    }

    @Test
    void aKilledDestinationLeavesTheSourceRunningWithItsLockAndALaterMigrationMovesIt() throws Exception {
        Files.write(shared.resolve("base.raw"), new byte[1 << 20]);
        Path top = shared.resolve("top.qcow2");
        BlockImages.createQcow2(top, 1 << 20, 65536, "base.raw", ImageFormat.RAW);
        String drive = "file=" + top + ",format=qcow2,if=virtio";
        String hot = "workload=verify mib=16 rate=0 hb_ms=300";
        int port = EngineProcess.freePort();
        try (EngineProcess a = EngineProcess.start(src, "-append", hot, "-drive", drive);
                EngineProcess b = EngineProcess.start(dst, "-append", hot, "-drive", drive,
                        "-incoming", "tcp:127.0.0.1:" + port);
                HmpClient ha = HmpClient.of(a)) {
            a.awaitHeartbeats(2, 60_000);
            ha.cmd("migrate_set_speed 16m");
            ha.cmd("migrate -d tcp:127.0.0.1:" + port);
            Await.value("two dirty syncs", ha::infoMigrate, info -> {
                String s = info.get("Migration status");
                assertTrue(s.equals("setup") || s.equals("active"), info.toString());
                return Long.parseLong(info.get("dirty sync count")) >= 2;
            });
            b.kill();
            Map<String, String> info = ha.awaitMigration("failed", 30_000);
            assertEquals("failed", info.get("Migration status"), info.toString());
            assertEquals("VM status: running", ha.cmd("info status"));
            int seen = a.seqs().size();
            a.awaitHeartbeats(seen + 3, 60_000);
            Heartbeats.assertNoErrors("source", a.serialText());
            String held = refusal(top);
            assertTrue(held.contains("jkvm, pid " + a.process.pid()), "the source is the only writer: " + held);
            Path third = Files.createDirectories(dst.resolve("c"));
            int port2 = EngineProcess.freePort();
            try (EngineProcess c = EngineProcess.start(third, "-append", hot, "-drive", drive,
                    "-incoming", "tcp:127.0.0.1:" + port2)) {
                ha.cmd("migrate_set_speed 1g");
                assertEquals("", ha.cmd("migrate tcp:127.0.0.1:" + port2), "a later migration succeeds");
                c.awaitHeartbeats(2, 60_000);
                String moved = refusal(top);
                assertTrue(moved.contains("jkvm, pid " + c.process.pid()), moved);
            }
        }
    }
}
