package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.jkvm.testkit.TapLab;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 acceptance 3: a guest that floods transmit (the firmware's {@code net_flood=64}: up to 64 broadcast UDP
 * datagrams per network poll, as many as the transmit queue takes, so it sends as fast as the device drains) does not
 * stall its vCPU or the monitor. While it floods, QMP {@code query-status} and HMP {@code info status} (through
 * {@code human-monitor-command}) answer every time, the guest's heartbeats go on (its vCPU keeps running the memory
 * workload: pages written, no verify error) and the device's transmit counter grows by thousands of frames, all of
 * which left through the tap. On the default backend (KVM where it works) and on the software CPU. The test prints
 * the frames per second and the monitor's answer times; those are figures, not assertions.
 */
class NetFloodTest {
    static final String GUEST_IP = "10.77.0.2";
    private static final int QUERIES = 40;
    private static final int BEATS = 5;

    @TempDir
    Path dir;

    private static String[] guest(TapLab lab) {
        return new String[] {"-append", "workload=verify mib=4 rate=200 hb_ms=200 net_flood=64 ip=" + GUEST_IP + "/24",
            "-netdev", "tap,id=n0,ifname=" + lab.tap() + ",script=no,downscript=no",
            "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:4a:4b:06"};
    }

    @Test
    void onTheDefaultBackend() throws Exception {
        try (TapLab lab = TapLab.create(); EngineProcess e = EngineProcess.start(dir, guest(lab))) {
            floodWhileTheMonitorAnswers(e, "default backend");
        }
    }

    @Test
    void onTheSoftwareCpu() throws Exception {
        try (TapLab lab = TapLab.create(); EngineProcess e = EngineProcess.startLogged(dir,
                Map.of("JKVM_KVM_DEVICE", "/nonexistent"), guest(lab))) {
            floodWhileTheMonitorAnswers(e, "software CPU");
        }
    }

    private static void floodWhileTheMonitorAnswers(EngineProcess e, String backend) throws Exception {
        Map<String, Long> first = NetEngineTest.heartbeat(e, h -> h.get("net_tx") > 0);
        long txStart = num(NetEngineTest.nic(e), "tx-packets");
        long start = System.nanoTime();
        List<Long> micros = new ArrayList<>();
        try (EngineProcess.QmpClient q = NetEngineTest.qmp(e)) {
            for (int i = 0; i < QUERIES; i++) {
                long t = System.nanoTime();
                Map<String, Object> r = i % 2 == 0 ? q.execute("{\"execute\":\"query-status\"}")
                        : q.execute("{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":"
                        + "\"info status\"}}");
                micros.add((System.nanoTime() - t) / 1000);
                String answer = String.valueOf(r.get("return"));
                assertTrue(answer.contains("running"), "the monitor answers while the guest floods: " + r);
            }
        }
        Map<String, Long> last = NetEngineTest.heartbeat(e, h -> h.get("seq") >= first.get("seq") + BEATS);
        long seconds = Math.max(1, (System.nanoTime() - start) / 1_000_000);
        Map<String, Object> nic = NetEngineTest.nic(e);
        long frames = num(nic, "tx-packets") - txStart;
        assertEquals(0, last.get("verify_bad"), "the workload's pages are intact: " + last);
        assertTrue(last.get("pages") > first.get("pages"), "the vCPU kept writing pages: " + first + " -> " + last);
        long guestFrames = last.get("net_tx") - first.get("net_tx");
        assertTrue(guestFrames > 64L * BEATS, "the guest flooded: " + guestFrames + " frames in " + BEATS + " beats");
        assertTrue(frames > 64L * BEATS, "the device sent the flood out of the tap: " + nic);
        Collections.sort(micros);
        System.out.println("NetFloodTest " + backend + ": " + frames * 1000 / seconds + " frames/s out of the tap ("
                + frames + " in " + seconds + " ms), " + (last.get("seq") - first.get("seq")) + " heartbeats, pages "
                + first.get("pages") + " -> " + last.get("pages") + "; monitor answer us median " + micros.get(
                QUERIES / 2) + " max " + micros.get(QUERIES - 1));
    }

    private static long num(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).longValue();
    }
}
