package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import org.jkvm.testkit.Await;
import org.jkvm.testkit.TapLab;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's virtio-net on a tap ({@link TapLab}: tap, bridge, client namespace) with the firmware's network stack
 * as the guest (jkvm's default backend): pings and a numbered UDP stream are answered, QMP {@code announce-self}
 * sends RARP frames out of the tap and asks the guest (its gratuitous ARPs count in {@code net_announce}), and a guest
 * saved to a file and restored announces itself by default, and not with {@code announce-rounds 0}.
 */
class NetEngineTest {
    static final String GUEST_IP = "10.77.0.2";
    static final String MAC = "52:54:00:4a:4b:02";

    @TempDir
    Path dir;

    private static String[] guest(TapLab lab, String... extra) {
        List<String> a = new java.util.ArrayList<>(List.of("-append", "workload=verify mib=4 rate=200 hb_ms=200 ip="
                + GUEST_IP + "/24", "-netdev", "tap,id=n0,ifname=" + lab.tap() + ",script=no,downscript=no",
                "-device", "virtio-net-pci,netdev=n0,mac=" + MAC + ",addr=0x5"));
        a.addAll(List.of(extra));
        return a.toArray(new String[0]);
    }

    /** The fields of the last heartbeat once {@code ok} holds for it. */
    static Map<String, Long> heartbeat(EngineProcess e, Predicate<Map<String, Long>> ok) {
        return Await.value("a heartbeat of " + e.dir, () -> {
            if (!e.process.isAlive()) {
                throw new AssertionError("the engine ended; stderr: " + e.stderr());
            }
            String[] lines = e.serialText().split("\n");
            for (int i = lines.length - 1; i >= 0; i--) {
                if (lines[i].startsWith("hb ") && lines[i].contains("net_announce=")) {
                    return fields(lines[i]);
                }
            }
            return Map.<String, Long>of();
        }, h -> !h.isEmpty() && ok.test(h));
    }

    private static Map<String, Long> fields(String line) {
        Map<String, Long> m = new HashMap<>();
        for (String w : line.substring(3).trim().split(" ")) {
            String[] kv = w.split("=", 2);
            if (kv.length == 2 && kv[1].matches("-?\\d+")) {
                m.put(kv[0], Long.parseLong(kv[1]));
            }
        }
        return m;
    }

    /** A QMP session past capabilities negotiation. */
    static EngineProcess.QmpClient qmp(EngineProcess e) throws IOException {
        EngineProcess.QmpClient q = e.qmp();
        q.execute("{\"execute\": \"qmp_capabilities\"}");
        return q;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> nic(EngineProcess e) throws IOException {
        try (EngineProcess.QmpClient q = qmp(e)) {
            List<Object> nics = (List<Object>) q.execute("{\"execute\":\"x-jkvm-query-nics\"}").get("return");
            assertEquals(1, nics.size(), nics.toString());
            return (Map<String, Object>) nics.get(0);
        }
    }

    private static long num(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).longValue();
    }

    @Test
    void theFirmwareAnswersThroughTheTapAndAnnouncesOnRequest() throws Exception {
        try (TapLab lab = TapLab.create(); EngineProcess e = EngineProcess.start(dir, guest(lab))) {
            heartbeat(e, h -> true);
            assertTrue(e.serialText().contains("net mac=" + MAC + " ip=" + GUEST_IP + "/24 link=1 features=mac,"
                    + "status,ctrl_vq,guest_announce,event_idx"), e.serialText());
            Map<String, Long> probe = lab.probe(GUEST_IP, 5, 20, 3);
            assertEquals(5, probe.get("ping_ok"), "ping: " + probe);
            assertEquals(21, probe.get("udp_ok"), "UDP echo: " + probe);
            Map<String, Long> hb = heartbeat(e, h -> h.get("net_rx") >= 27);
            assertEquals(1, hb.get("net_seq_gaps"), hb.toString());
            assertEquals(3, hb.get("net_seq_lost"), hb.toString());
            assertEquals(0, hb.get("errors"), hb.toString());
            Map<String, Object> before = nic(e);
            assertEquals(hb.get("net_tx"), num(before, "tx-packets"), "the device counts what the guest sent");
            try (EngineProcess.QmpClient q = qmp(e)) {
                Map<String, Object> r = q.execute("{\"execute\":\"announce-self\",\"arguments\":{\"initial\":50,"
                        + "\"max\":550,\"rounds\":3,\"step\":50}}");
                assertTrue(r.containsKey("return"), r.toString());
            }
            Map<String, Long> after = heartbeat(e, h -> h.get("net_announce") >= 3);
            assertEquals(3, after.get("net_announce"), "one gratuitous ARP per round: " + after);
            Map<String, Object> n = Await.value("three RARP frames", () -> nic(e),
                    m -> num(m, "announce-frames") >= 3);
            assertEquals(3, num(n, "announce-frames"), n.toString());
            assertEquals(3, num(n, "guest-announces"), n.toString());
        }
    }

    @Test
    void aRestoredGuestAnnouncesItselfUnlessTurnedOff() throws Exception {
        Path state = dir.resolve("guest.state");
        try (TapLab lab = TapLab.create()) {
            long announced;
            try (EngineProcess src = EngineProcess.start(Files.createDirectory(dir.resolve("a")), guest(lab))) {
                announced = heartbeat(src, h -> h.get("net_rx") >= 0).get("net_announce");
                assertEquals(0, announced);
                assertEquals(3, lab.probe(GUEST_IP, 0, 3, 0).get("udp_ok"));
                try (EngineProcess.QmpClient q = qmp(src)) {
                    q.execute("{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"exec:cat > " + state + "\"}}");
                    String status = Await.value("the save ends", () -> (String) ((Map<?, ?>) q.execute(
                            "{\"execute\": \"query-migrate\"}").get("return")).get("status"),
                            x -> "completed".equals(x) || "failed".equals(x));
                    assertEquals("completed", status);
                }
            }
            try (EngineProcess dst = EngineProcess.start(Files.createDirectory(dir.resolve("b")),
                    guest(lab, "-incoming", "exec:cat " + state))) {
                Map<String, Object> n = Await.value("the restored guest's five RARP frames", () -> nic(dst),
                        m -> num(m, "announce-frames") >= 5);
                assertEquals(5, num(n, "announce-frames"), n.toString());
                assertEquals(5, num(n, "guest-announces"), n.toString());
                // the guest polls the status every 10 ms of its time: two requests may meet one poll
                heartbeat(dst, h -> h.get("net_announce") >= 1);
                assertEquals(3, lab.probe(GUEST_IP, 0, 3, 0).get("udp_ok"), "the restored guest answers");
                try (EngineProcess.QmpClient q = qmp(dst)) {
                    q.execute("{\"execute\":\"quit\"}");
                }
            }
            try (EngineProcess off = EngineProcess.start(Files.createDirectory(dir.resolve("c")),
                    guest(lab, "-incoming", "defer"))) {
                try (EngineProcess.QmpClient q = qmp(off)) {
                    q.execute("{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"announce-rounds\":0}}");
                    q.execute("{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"exec:cat " + state + "\"}}");
                }
                heartbeat(off, h -> true);
                assertEquals(3, lab.probe(GUEST_IP, 0, 3, 0).get("udp_ok"), "the restored guest answers");
                Map<String, Object> n = nic(off);
                assertEquals(0, num(n, "announce-frames"), "announce-rounds 0 sends nothing: " + n);
                assertEquals(0, num(n, "guest-announces"), n.toString());
            }
        }
    }
}
