package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jkvm.block.BlockException;
import org.jkvm.block.BlockImages;
import org.jkvm.block.ImageFormat;
import org.jkvm.block.OpenOptions;
import org.jkvm.monitor.EngineProcess.QmpClient;
import org.jkvm.testkit.Await;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 item 5 and acceptance 2 between engine processes over QMP and tcp: the firmware's {@code workload=disk}
 * (stamped sectors written in order and re-read) on a qcow2 overlay over a raw base in one shared directory migrates
 * live, and is saved to a file with {@code exec:} and restored from it. The write lock moves from the source's
 * process to the destination's (a third writer's open names the holder's pid); the source, left in postmigrate and
 * still alive, holds no lock, issues no write (its block counters stand still) and leaves the image's modification
 * time alone; the destination goes on writing with errors=0 and disk_bad=0. A guest restarted on the image after
 * a SIGKILL during writes re-checks the whole range with disk_bad=0. A destination killed mid-stream leaves
 * the source running, verifying and the only writer; a later migration moves the lock.
 */
class DiskMigrationProcessTest {
    private static final long HB_MS = 300;
    private static final String APPEND = "workload=disk mib=1 rate=100 hb_ms=" + HB_MS;

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

    /** A 2 MiB raw base and a qcow2 overlay naming it by a relative path, as {@code qemu-img create -b} makes. */
    private Path overlay() throws Exception {
        Files.write(shared.resolve("base.raw"), new byte[2 << 20]);
        Path top = shared.resolve("top.qcow2");
        BlockImages.createQcow2(top, 2 << 20, 65536, "base.raw", ImageFormat.RAW);
        return top;
    }

    /** The engine's completed write requests on its first disk (QMP query-blockstats, wr_operations). */
    private static long writes(QmpClient q) throws Exception {
        List<?> disks = (List<?>) q.execute("{\"execute\": \"query-blockstats\"}").get("return");
        return ((Number) ((Map<?, ?>) ((Map<?, ?>) disks.get(0)).get("stats")).get("wr_operations")).longValue();
    }

    /**
     * The source, alive in postmigrate, writes nothing: its write counter stands at {@code handedOver} and, once the
     * destination has stopped too, the image's modification time and size stay put over two heartbeat periods.
     */
    private static void assertSourceSilent(EngineProcess a, QmpClient qa, long handedOver, Path top) throws Exception {
        assertEquals(handedOver, writes(qa), "the source issued no write after the handover");
        FileTime mtime = Files.getLastModifiedTime(top);
        long size = Files.size(top);
        EngineProcess.observe(2 * HB_MS + 500);
        assertTrue(a.process.isAlive(), "the source process still lives");
        assertEquals(mtime, Files.getLastModifiedTime(top), "nobody wrote the image after the destination quit");
        assertEquals(size, Files.size(top));
        assertEquals(handedOver, writes(qa), "the source still issued no write");
    }

    /** The destination's heartbeats: disk_writes rises and disk_bad stays 0 (errors=0 is Heartbeats' check). */
    private static void assertDestinationWrites(EngineProcess b) throws Exception {
        Matcher m = Pattern.compile("disk_writes=(\\d+) disk_bad=(\\d+)").matcher(b.serialText());
        long last = -1;
        int n = 0;
        while (m.find()) {
            assertEquals("0", m.group(2), b.serialText());
            assertTrue(Long.parseLong(m.group(1)) > last, "disk_writes rises: " + b.serialText());
            last = Long.parseLong(m.group(1));
            n++;
        }
        assertTrue(n >= 2, "the destination wrote heartbeats with disk counters: " + b.serialText());
    }

    @Test
    void theWriteLockMovesToTheDestinationProcess() throws Exception {
        Path top = overlay();
        FileTime baseTime = Files.getLastModifiedTime(shared.resolve("base.raw"));
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
            long handedOver = writes(qa);
            Await.until("the destination runs", () -> "running".equals(((Map<?, ?>) qb.execute(
                    "{\"execute\": \"query-status\"}").get("return")).get("status")));
            String after = refusal(top);
            assertTrue(after.contains("jkvm, pid " + b.process.pid()), after);
            Heartbeats.assertContinues(a, b, 3, HB_MS, 1000);
            assertDestinationWrites(b);
            qb.execute("{\"execute\": \"quit\"}");
            assertEquals(0, b.awaitExit(30_000), b.stderr());
            assertSourceSilent(a, qa, handedOver, top);
            // The source process still runs (postmigrate) and holds no lock: a writer may open the image.
            BlockImages.open(top, OpenOptions.of(ImageFormat.QCOW2)).close();
            assertEquals(baseTime, Files.getLastModifiedTime(shared.resolve("base.raw")), "the base is never written");
            qa.execute("{\"execute\": \"quit\"}");
            assertEquals(0, a.awaitExit(30_000), a.stderr());
        }
    }

    @Test
    void aGuestSavedToAFileIsRestoredOnTheSameImageAndGoesOnWriting() throws Exception {
        Path top = overlay();
        String drive = "file=" + top + ",format=qcow2,if=virtio";
        Path state = shared.resolve("STATEFILE");
        try (EngineProcess a = EngineProcess.start(src, "-append", APPEND, "-drive", drive);
                HmpClient ha = HmpClient.of(a); QmpClient qa = new QmpClient(a.qmpSocket)) {
            qa.execute("{\"execute\": \"qmp_capabilities\"}");
            a.awaitHeartbeats(3, 60_000);
            assertEquals("", ha.cmd("migrate_set_speed 4095m"));
            assertEquals("", ha.cmd("migrate \"exec:cat > " + state + "\""), "the save completes before the prompt");
            assertEquals("VM status: paused (postmigrate)", ha.cmd("info status"));
            long saved = System.currentTimeMillis();
            long handedOver = writes(qa);
            assertSourceSilent(a, qa, handedOver, top);
            BlockImages.open(top, OpenOptions.of(ImageFormat.QCOW2)).close();
            try (EngineProcess b = EngineProcess.start(dst, "-append", APPEND, "-drive", drive,
                    "-incoming", "exec:cat " + state)) {
                b.awaitHeartbeats(3, 60_000);
                // kvm_pvm ignores the restored guest TSC: the wall-clock gap then shows in guest time (see
                // SaveRestoreAcceptanceTest); the software CPU and ordinary KVM resume it exactly.
                long gap = TscProbe.hostSetsTheGuestTsc() ? 0 : System.currentTimeMillis() - saved;
                Heartbeats.assertContinues(a.serialText(), b, 3, HB_MS, 1000 + gap);
                assertDestinationWrites(b);
                String held = refusal(top);
                assertTrue(held.contains("jkvm, pid " + b.process.pid()), "the restored engine writes: " + held);
                assertEquals(handedOver, writes(qa), "the saved source stays silent");
            }
        }
    }

    @Test
    void aGuestRestartedAfterASigkillDuringWritesRechecksTheWholeRange() throws Exception {
        Path top = overlay();
        String drive = "file=" + top + ",format=qcow2,if=virtio";
        try (EngineProcess a = EngineProcess.start(src, "-append", "workload=disk mib=1 rate=0 hb_ms=" + HB_MS,
                "-drive", drive)) {
            a.awaitHeartbeats(3, 60_000);
            Heartbeats.assertNoErrors("first guest", a.serialText());
            a.kill();
            a.awaitExit(30_000);
        }
        try (EngineProcess b = EngineProcess.start(dst, "-append", APPEND, "-drive", drive);
                HmpClient hb = HmpClient.of(b)) {
            b.awaitHeartbeats(3, 60_000);
            String line = b.serialText().lines().filter(l -> l.startsWith("disk ")).findFirst().orElse("");
            assertTrue(line.contains(" resume=header checked=2040 ") && line.contains(" disk_bad=0 "),
                    "the whole range re-checked after the kill: " + b.serialText());
            Heartbeats.assertNoErrors("restarted guest", b.serialText());
            assertDestinationWrites(b);
            hb.cmd("quit");
            assertEquals(0, b.awaitExit(30_000), b.stderr());
        }
        // The image itself: qemu-img check finds no corruption (clusters leaked by the kill are allowed: status 3).
        Path qemuImg = Require.command("qemu-img");
        Process check = new ProcessBuilder(qemuImg.toString(), "check", top.toString()).redirectErrorStream(true)
                .redirectOutput(shared.resolve("check.txt").toFile()).start();
        assertTrue(check.waitFor(60, TimeUnit.SECONDS), "qemu-img check ends");
        assertTrue(check.exitValue() == 0 || check.exitValue() == 3, Files.readString(shared.resolve("check.txt")));
    }

    @Test
    void aKilledDestinationLeavesTheSourceRunningWithItsLockAndALaterMigrationMovesIt() throws Exception {
        Path top = overlay();
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
