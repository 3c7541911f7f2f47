package org.jkvm.firmware;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import org.jkvm.testkit.Await;
import org.jkvm.testkit.Require;
import org.jkvm.testkit.TapLab;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The firmware's virtio-net driver and stack under QEMU TCG, the reference for jkvm (issue 15 item 5): a tap on a
 * bridge to a client namespace ({@link TapLab}); the client pings the guest and echoes a numbered UDP stream through
 * it while the guest's memory workload runs; QMP {@code announce-self} makes the guest send gratuitous ARPs.
 */
class FirmwareQemuNetTest {
    static final String GUEST_IP = "10.77.0.2";
    static final String MAC = "52:54:00:4a:4b:01";
    static final Pattern NET_LINE = Pattern.compile("net mac=" + MAC + " ip=" + Pattern.quote(GUEST_IP) + "/24 link=1"
            + " features=mac,status,ctrl_vq,guest_announce,event_idx");

    @TempDir
    Path dir;

    @Test
    void answersPingAndEchoesNumberedUdpWhileVerifyingMemory() throws Exception {
        for (String image : List.of(Firmware.FILE_NAME, Firmware.FILE_NAME_32)) {
            try (TapLab lab = TapLab.create()) {
                Path serial = dir.resolve(image + ".txt");
                Path elf = image.equals(Firmware.FILE_NAME) ? Firmware.extractTo(dir) : Firmware.extract32To(dir);
                Process qemu = start(lab, elf, serial, image,
                        "workload=verify mib=4 rate=200 hb_ms=200 ip=" + GUEST_IP + "/24");
                try {
                    List<String> lines = Await.value("the net line of " + image, () -> lines(serial),
                            l -> l.size() >= 2);
                    assertTrue(NET_LINE.matcher(lines.get(1)).matches(), "net line: " + lines);
                    Map<String, Long> probe = lab.probe(GUEST_IP, 5, 20, 3);
                    assertEquals(5, probe.get("ping_ok"), image + " ping: " + probe);
                    assertEquals(21, probe.get("udp_ok"), image + " UDP echo: " + probe);
                    // 5 pings, 21 datagrams, at least one ARP request for us (a broadcast we answered).
                    Map<String, String> hb = awaitHeartbeat(serial, h -> SerialLine.number(h, "net_rx") >= 27);
                    assertEquals(1, SerialLine.number(hb, "net_seq_gaps"), hb.toString());
                    assertEquals(3, SerialLine.number(hb, "net_seq_lost"), hb.toString());
                    assertEquals(SerialLine.number(hb, "net_rx"), SerialLine.number(hb, "net_tx"),
                            "one answer per frame for us: " + hb);
                    assertEquals(0, SerialLine.number(hb, "errors"), hb.toString());
                    assertTrue(SerialLine.number(hb, "pages") > 0, "the workload ran: " + hb);
                } finally {
                    stop(qemu);
                }
            }
        }
    }

    @Test
    void announcesItselfWhenTheDeviceAsks() throws Exception {
        try (TapLab lab = TapLab.create()) {
            Path serial = dir.resolve("announce.txt");
            Process qemu = start(lab, Firmware.extractTo(dir), serial, "announce", "hb_ms=200 ip=" + GUEST_IP + "/24");
            try (Qmp qmp = Qmp.connect(dir.resolve("announce.qmp"))) {
                awaitHeartbeat(serial, h -> true);
                // QEMU asks the guest once per round (virtio-net sets VIRTIO_NET_S_ANNOUNCE); 3 rounds, 50 ms apart.
                String r = qmp.execute("{\"execute\":\"announce-self\",\"arguments\":{\"initial\":50,\"max\":550,"
                        + "\"rounds\":3,\"step\":50}}");
                assertTrue(r.contains("\"return\""), r);
                Map<String, String> hb = awaitHeartbeat(serial, h -> SerialLine.number(h, "net_announce") >= 3);
                assertEquals(3, SerialLine.number(hb, "net_announce"), hb.toString());
                assertEquals(3, SerialLine.number(hb, "net_tx"), "one gratuitous ARP per request: " + hb);
            } finally {
                stop(qemu);
            }
        }
    }

    @Test
    void afterALiveMigrationTheGuestAnswersFromTheDestination() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String append = "workload=verify mib=4 rate=200 hb_ms=200 ip=" + GUEST_IP + "/24";
        try (TapLab lab = TapLab.create()) {
            Path image = Firmware.extractTo(dir);
            Path dstSerial = dir.resolve("dst.txt");
            Process src = start(lab.tap(), image, dir.resolve("src.txt"), "src", append, List.of());
            Process dst = start(lab.addTap(), image, dstSerial, "dst", append,
                    List.of("-incoming", "tcp:127.0.0.1:" + port));
            try (Qmp s = Qmp.connect(dir.resolve("src.qmp")); Qmp d = Qmp.connect(dir.resolve("dst.qmp"))) {
                awaitHeartbeat(dir.resolve("src.txt"), h -> true);
                assertEquals(10, lab.probe(GUEST_IP, 0, 10, 0).get("udp_ok"), "before the migration");
                s.execute("{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:127.0.0.1:" + port + "\"}}");
                String status = Await.value("QEMU's migration ends",
                        () -> s.execute("{\"execute\":\"query-migrate\"}"),
                        st -> st.contains("completed") || st.contains("failed"));
                assertTrue(status.contains("\"completed\""), "migration did not complete: " + status);
                // QEMU's self-announce after the move asks the guest too (GUEST_ANNOUNCE): it sends gratuitous ARPs.
                Map<String, String> hb = awaitHeartbeat(dstSerial, h -> SerialLine.number(h, "net_announce") >= 1);
                Map<String, Long> after = lab.probe(GUEST_IP, 2, 10, 0);
                assertEquals(10, after.get("udp_ok"), "after the migration: " + after + " " + hb);
                assertEquals(2, after.get("ping_ok"), "after the migration: " + after);
                Map<String, String> last = awaitHeartbeat(dstSerial,
                        h -> SerialLine.number(h, "net_rx") >= SerialLine.number(hb, "net_rx") + 12);
                assertEquals(0, SerialLine.number(last, "errors"), last.toString());
            } finally {
                stop(src);
                stop(dst);
            }
        }
    }

    @Test
    void aMalformedAddressOrAMissingNicIsOneFwErrorSentence() throws Exception {
        Path qemu = Require.command("qemu-system-x86_64");
        Path image = Firmware.extractTo(dir);
        for (String bad : List.of("10.0.0.300/24", "10.0.0.2", "10.0.0.2/33", "10.0.2/24", "0.0.0.0/8", "a.b.c.d/24")) {
            QemuRun run = QemuRun.boot(qemu, image, dir, "ip=" + bad, 64, "qemu64");
            assertEquals(List.of("fw-error bad command line value ip=" + bad + ": expected an IPv4 address and prefix"
                    + " length such as ip=10.0.2.15/24"), run.lines(), bad);
            assertEquals((2 << 1) | 1, run.exitStatus(), bad);
        }
        QemuRun none = QemuRun.boot(qemu, image, dir, "ip=10.77.0.2/24", 64, "qemu64");
        assertEquals("fw-error ip=10.77.0.2 needs a virtio-net device (PCI 1af4:1041 or 1af4:1000) but there is none;"
                + " add one with -device virtio-net-pci,netdev=ID or drop ip=",
                none.lines().get(none.lines().size() - 1));
        assertEquals((2 << 1) | 1, none.exitStatus());
    }

    private Process start(TapLab lab, Path image, Path serial, String name, String append) throws IOException {
        return start(lab.tap(), image, serial, name, append, List.of());
    }

    private Process start(String tap, Path image, Path serial, String name, String append, List<String> extra)
            throws IOException {
        Path qemu = Require.command("qemu-system-x86_64");
        List<String> cmd = new ArrayList<>(List.of(qemu.toString(), "-accel", "tcg", "-cpu", "qemu64", "-m", "64",
                "-kernel", image.toString(), "-append", append, "-display", "none", "-nodefaults", "-no-reboot",
                "-serial", "file:" + serial, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                "-qmp", "unix:" + dir.resolve(name + ".qmp") + ",server,nowait",
                "-netdev", "tap,id=n0,ifname=" + tap + ",script=no,downscript=no",
                "-device", "virtio-net-pci,netdev=n0,mac=" + MAC));
        cmd.addAll(extra);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile())
                .start();
    }

    private static Map<String, String> awaitHeartbeat(Path serial, Predicate<Map<String, String>> ok) {
        return Await.value("a heartbeat in " + serial, () -> {
            List<String> hbs = lines(serial).stream().filter(l -> l.startsWith("hb ")).toList();
            return hbs.isEmpty() ? Map.<String, String>of() : SerialLine.fields(hbs.get(hbs.size() - 1));
        }, h -> !h.isEmpty() && ok.test(h));
    }

    private static List<String> lines(Path file) throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        String text = Files.readString(file, StandardCharsets.ISO_8859_1);
        int end = text.lastIndexOf('\n');
        return end < 0 ? List.of() : List.of(text.substring(0, end).split("\n"));
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
    }
}
