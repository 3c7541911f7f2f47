package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jkvm.testkit.Await;
import org.jkvm.testkit.Require;
import org.jkvm.testkit.SwitchLab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, acceptance 2 through the engine's own migration: three network namespaces, host A and host B (each a
 * bridge with the guest's tap and an uplink veth, and the host's address 10.88.0.11 or .12 on it) and a switch (a
 * bridge joining both uplinks, the client at 10.88.0.1 on it). The firmware guest (10.88.0.2, its network stack)
 * migrates live from A to B with {@code migrate tcp:10.88.0.12:PORT} while the client streams numbered UDP datagrams
 * to its echo port every 10 ms. With the announcement (QEMU's defaults) the switch's forwarding table points the
 * guest's MAC at B's uplink and the guest answers from B; with {@code announce-rounds 0} on the destination the
 * engine sends no RARP frame and does not ask the guest, and 2 s later the switch still points at A and the
 * client's datagrams are lost there: the announcement is what moves it; {@code announce-self} then announces. A
 * failed or cancelled migration leaves the guest answering from A. A guest saved to a file on A and restored on B
 * answers from B, whose restore announces it. The test prints the
 * packets lost and the time from the destination running until the switch learnt B's uplink.
 */
class NetMigrationTest {
    static final String MAC = "52:54:00:4a:4b:03";
    static final String GUEST_IP = "10.88.0.2";
    private final String id = Long.toString(ProcessHandle.current().pid() % 100000, 36);
    private final String a = "jkns-a-" + id;
    private final String b = "jkns-b-" + id;
    private final List<Process> processes = new ArrayList<>();
    private SwitchLab lab;

    @TempDir
    Path dir;

    private void network() throws IOException, InterruptedException {
        Require.root();
        for (String n : List.of(a, b)) {
            SwitchLab.run("ip", "netns", "add", n);
            SwitchLab.run("ip", "-n", n, "link", "set", "lo", "up");
        }
        lab = SwitchLab.create(id, new String[] {a, b}, "brh", "10.88.0", true);
        lab.pinNeighbour(GUEST_IP, MAC);
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (Process p : processes) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (lab != null) {
            lab.close();
        }
        for (String n : List.of(a, b)) {
            new ProcessBuilder("ip", "netns", "del", n).start().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private Path engine(String ns, String name, String... extra) throws IOException {
        Path d = Files.createDirectories(dir.resolve(name));
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(EngineProcess.javaCommand());
        cmd.addAll(List.of("-m", "64M", "-serial", "file:" + d.resolve("serial.log"),
                "-qmp", "unix:" + d.resolve("qmp.sock") + ",server,nowait",
                "-append", "workload=verify mib=4 rate=200 hb_ms=200 ip=" + GUEST_IP + "/24",
                "-netdev", "bridge,id=n0,br=brh,ifname=tap" + name + id,
                "-device", "virtio-net-pci,netdev=n0,mac=" + MAC));
        cmd.addAll(List.of(extra));
        processes.add(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(d.resolve("out.txt").toFile())
                .start());
        Await.until("the engine " + name + " opens its QMP socket", () -> Files.exists(d.resolve("qmp.sock")));
        if (!List.of(extra).contains("-incoming")) {
            // A stream that starts while the firmware still boots can outlast its late-echo window before the
            // guest polls its NIC (seen once at load 21): the guest answers once its main loop runs.
            Await.until("the guest on " + name + " prints its first heartbeat", () -> Files.exists(
                    d.resolve("serial.log")) && Files.readString(d.resolve("serial.log"),
                    StandardCharsets.ISO_8859_1).contains("hb seq="));
        }
        return d;
    }

    private static EngineProcess.QmpClient qmp(Path d) throws IOException {
        EngineProcess.QmpClient q = new EngineProcess.QmpClient(d.resolve("qmp.sock"));
        q.execute("{\"execute\": \"qmp_capabilities\"}");
        return q;
    }

    private static Object ret(EngineProcess.QmpClient q, String json) throws IOException {
        return q.execute(json).get("return");
    }

    private String switchPort() throws IOException, InterruptedException {
        return lab.switchPort(MAC);
    }

    private Process stream(int count) throws IOException {
        return lab.stream(GUEST_IP, count, false);
    }

    private static String result(Process stream) throws IOException, InterruptedException {
        Map<String, Long> r = SwitchLab.result(stream);
        return "stream sent=" + r.get("sent") + " echoed=" + r.get("echoed") + " lost=" + r.get("lost")
                + " longest_gap=" + r.get("longest_gap");
    }

    private static Object q(EngineProcess.QmpClient c, String json) throws IOException {
        return c.execute(json);
    }

    private static String lastBeat(Path d) throws IOException {
        List<String> l = Files.readAllLines(d.resolve("serial.log"), StandardCharsets.ISO_8859_1);
        return l.isEmpty() ? "" : l.get(l.size() - 1);
    }

    private static long field(String line, String key) {
        for (String w : line.split(" ")) {
            if (w.startsWith(key + "=")) {
                return Long.parseLong(w.substring(key.length() + 1));
            }
        }
        throw new AssertionError("no " + key + " in " + line);
    }

    /**
     * Migrates A to B live, during a stream of {@code datagrams} (0: a quiet guest, which sends nothing at the
     * switchover); returns {lost, ms until the switch learnt B (-1 when not awaited), sent} and leaves B running.
     */
    private long[] migrate(boolean announce, int datagrams) throws Exception {
        network();
        Path src = engine(a, "a");
        Path dst = engine(b, "b", "-incoming", "defer");
        int port = EngineProcess.freePort();
        try (EngineProcess.QmpClient qa = qmp(src); EngineProcess.QmpClient qb = qmp(dst)) {
            if (!announce) {
                ret(qb, "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"announce-rounds\":0}}");
            }
            ret(qb, "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"tcp:10.88.0.12:" + port + "\"}}");
            Process warm = stream(50); // the guest answers from A, the switch learns A's uplink
            assertEquals(0, field(result(warm), "lost"), "the guest answers on A");
            assertEquals("ua" + id + "s", switchPort());
            Process s = datagrams > 0 ? stream(datagrams) : null;
            ret(qa, "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:10.88.0.12:" + port + "\"}}");
            Await.until("B runs the guest", () -> "running".equals(((Map<?, ?>) ret(qb,
                    "{\"execute\":\"query-status\"}")).get("status")));
            long running = System.nanoTime();
            long fdbMs = -1;
            if (announce) {
                Await.until("the switch learns B's uplink", () -> switchPort().equals("ub" + id + "s"));
                fdbMs = (System.nanoTime() - running) / 1_000_000;
            }
            String r = s == null ? "stream sent=0 echoed=0 lost=0 longest_gap=0" : result(s);
            System.out.println("B: " + q(qb, "{\"execute\":\"x-jkvm-query-nics\"}") + " A: "
                    + q(qa, "{\"execute\":\"x-jkvm-query-nics\"}") + " B serial: " + lastBeat(dst));
            System.out.println("NetMigrationTest announce=" + announce + ": " + r + " fdb_to_B_ms=" + fdbMs
                    + " (after the destination ran)");
            return new long[] {field(r, "lost"), fdbMs, field(r, "sent")};
        }
    }

    @Test
    void aQuietGuestIsFoundOnBThroughTheAnnouncement() throws Exception {
        long[] r = migrate(true, 0);
        assertTrue(r[1] >= 0, "the switch learnt B's uplink");
        assertEquals(0, field(result(stream(50)), "lost"), "the guest answers from B");
    }

    @Test
    void aGuestAnsweringAStreamMigratesWithFewLosses() throws Exception {
        long[] r = migrate(true, 600);
        assertTrue(r[0] < r[2] / 2, "most datagrams are echoed, from A then from B: lost " + r[0]);
        Process after = stream(50);
        assertEquals(0, field(result(after), "lost"), "the guest answers from B");
    }

    @Test
    void withoutTheAnnouncementTheEngineSendsNothingUntilAnnounceSelf() throws Exception {
        migrate(false, 0);
        EngineProcess.observe(2000); // two seconds in which the engine must send nothing for the guest
        try (EngineProcess.QmpClient qb = qmp(dir.resolve("b"))) {
            @SuppressWarnings("unchecked")
            Map<String, Object> nic = ((List<Map<String, Object>>) ret(qb, "{\"execute\":\"x-jkvm-query-nics\"}"))
                    .get(0);
            assertEquals(0L, ((Number) nic.get("announce-frames")).longValue(), "announce-rounds 0: " + nic);
            assertEquals(0L, ((Number) nic.get("guest-announces")).longValue(), nic.toString());
            // Without the announcement nothing moves the switch: the quiet guest sends nothing, and the destination
            // dropped what its tap got before the guest ran there (flooded traffic of the guest on A, which,
            // delivered after the switchover, had the guest answer from B).
            assertEquals("ua" + id + "s", switchPort(), "2 s after the switchover without the announcement");
            long lost = field(result(stream(20)), "lost");
            System.out.println("NetMigrationTest announce=false: the switch still points at A 2 s after the "
                    + "switchover; datagrams lost of 20: " + lost);
            assertTrue(lost > 0, "the switch sends the guest's traffic to A, where it is lost");
        }
        try (EngineProcess.QmpClient qb = qmp(dir.resolve("b"))) {
            ret(qb, "{\"execute\":\"announce-self\",\"arguments\":{\"initial\":50,\"max\":550,\"rounds\":5,"
                    + "\"step\":100}}");
        }
        Await.until("announce_self moves the switch to B", () -> switchPort().equals("ub" + id + "s"));
        assertEquals(0, field(result(stream(50)), "lost"), "the guest answers from B after announce_self");
    }

    @Test
    void aGuestSavedOnAAndRestoredOnBAnswersFromBWhichTheRestoreAnnounces() throws Exception {
        network();
        Path src = engine(a, "a");
        Path state = dir.resolve("guest.state");
        try (EngineProcess.QmpClient qa = qmp(src)) {
            assertEquals(0, field(result(stream(20)), "lost"), "the guest answers on A");
            assertEquals(lab.uplink(0), switchPort());
            ret(qa, "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"exec:cat > " + state + "\"}}");
            String status = Await.value("the save ends", () -> (String) ((Map<?, ?>) ret(qa,
                    "{\"execute\":\"query-migrate\"}")).get("status"), x -> "completed".equals(x)
                    || "failed".equals(x));
            assertEquals("completed", status);
            ret(qa, "{\"execute\":\"quit\"}");
        }
        SwitchLab.FdbWatch fdb = lab.watch(MAC);
        Path dst = engine(b, "b", "-incoming", "exec:cat " + state);
        try (EngineProcess.QmpClient qb = qmp(dst)) {
            Await.until("B runs the restored guest", () -> "running".equals(((Map<?, ?>) ret(qb,
                    "{\"execute\":\"query-status\"}")).get("status")));
            Await.until("the restore's announcement moves the switch to B", () -> fdb.firstOn(lab.uplink(1)) > 0);
            assertEquals(0, field(result(stream(50)), "lost"), "the restored guest answers from B");
            long frames = Await.value("the restore's five RARP rounds", () -> ((Number) ((List<?>) ret(qb,
                    "{\"execute\":\"x-jkvm-query-nics\"}")).stream().map(m -> ((Map<?, ?>) m).get("announce-frames"))
                    .findFirst().orElseThrow()).longValue(), n -> n >= 5);
            assertEquals(5, frames, "QEMU's five rounds, no more");
        }
    }

    @Test
    void aFailedMigrationLeavesTheGuestAnsweringFromA() throws Exception {
        network();
        Path src = engine(a, "a");
        int port = EngineProcess.freePort();
        try (EngineProcess.QmpClient qa = qmp(src)) {
            assertEquals(0, field(result(stream(20)), "lost"), "the guest answers on A");
            // nothing listens on B: the connection is refused and the source keeps running
            ret(qa, "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:10.88.0.12:" + port + "\"}}");
            String status = Await.value("the migration ends", () -> (String) ((Map<?, ?>) ret(qa,
                    "{\"execute\":\"query-migrate\"}")).get("status"), x -> "failed".equals(x)
                    || "completed".equals(x));
            assertEquals("failed", status);
            assertEquals(0, field(result(stream(50)), "lost"), "the guest still answers from A");
            assertEquals("ua" + id + "s", switchPort());
        }
    }

    @Test
    void aCancelledMigrationLeavesTheGuestAnsweringFromA() throws Exception {
        network();
        Path src = engine(a, "a");
        Path dst = engine(b, "b", "-incoming", "defer");
        int port = EngineProcess.freePort();
        try (EngineProcess.QmpClient qa = qmp(src); EngineProcess.QmpClient qb = qmp(dst)) {
            ret(qb, "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"tcp:10.88.0.12:" + port + "\"}}");
            assertEquals(0, field(result(stream(20)), "lost"), "the guest answers on A");
            // 1 MiB/s: the first pass over 64 MiB lasts about a minute, so the cancel lands in the RAM rounds
            ret(qa, "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":1048576}}");
            ret(qa, "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:10.88.0.12:" + port + "\"}}");
            Await.until("the migration is under way", () -> "active".equals(((Map<?, ?>) ret(qa,
                    "{\"execute\":\"query-migrate\"}")).get("status")));
            ret(qa, "{\"execute\":\"migrate_cancel\"}");
            String status = Await.value("the migration ends", () -> (String) ((Map<?, ?>) ret(qa,
                    "{\"execute\":\"query-migrate\"}")).get("status"), x -> "cancelled".equals(x)
                    || "completed".equals(x) || "failed".equals(x));
            assertEquals("cancelled", status);
            assertEquals("running", ((Map<?, ?>) ret(qa, "{\"execute\":\"query-status\"}")).get("status"));
            assertEquals(0, field(result(stream(50)), "lost"), "the guest still answers from A");
            assertEquals("ua" + id + "s", switchPort(), "nothing announced the guest elsewhere");
        }
    }
}
