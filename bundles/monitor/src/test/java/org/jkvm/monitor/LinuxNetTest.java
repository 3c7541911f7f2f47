package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.jkvm.engine.Backends;
import org.jkvm.hypervisor.Accelerator;
import org.jkvm.testkit.Await;
import org.jkvm.testkit.LinuxKit;
import org.jkvm.testkit.Require;
import org.jkvm.testkit.TapLab;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 with a Linux guest (the kit's stock Debian kernel and its virtio_net driver, software CPU): {@code
 * jkvm.ip=} brings eth0 up on a tap ({@link TapLab}), the client pings it and gets TCP echoes from the kit's echo
 * server (busybox nc on port 7); the guest migrates live to a second engine whose tap is on the same bridge, and
 * there answers pings and TCP echoes again (the bridge learns the new tap from the announcement: the engine's RARP
 * frames and Linux's own gratuitous ARP, since its driver negotiated GUEST_ANNOUNCE).
 */
class LinuxNetTest {
    static final String GUEST_IP = "10.77.0.2";
    static final String MAC = "52:54:00:4a:4b:07";

    @TempDir
    Path dir;

    private static String[] guest(LinuxKit.Kit kit, String tap, String... extra) {
        List<String> a = new java.util.ArrayList<>(List.of("-m", "256M", "-accel", "tcg", "-kernel",
                kit.kernel().toString(), "-initrd", kit.initrd().toString(), "-append", kit.cmdline() + " jkvm.ip="
                + GUEST_IP + "/" + TapLab.PREFIX, "-netdev", "tap,id=n0,ifname=" + tap + ",script=no,downscript=no",
                "-device", "virtio-net-pci,netdev=n0,mac=" + MAC));
        a.addAll(List.of(extra));
        return a.toArray(new String[0]);
    }

    @Test
    void aLinuxGuestAnswersPingAndTcpThroughATapBeforeAndAfterALiveMigration() throws Exception {
        LinuxKit.Kit kit = LinuxKit.require();
        Require.that(Backends.installed(Accelerator.TCG), "the software CPU (bundles/softcpu) is not built");
        int port = EngineProcess.freePort();
        try (TapLab lab = TapLab.create();
                EngineProcess src = EngineProcess.startWithConsole(Files.createDirectory(dir.resolve("a")), Map.of(),
                        guest(kit, lab.tap()));
                EngineProcess dst = EngineProcess.startWithConsole(Files.createDirectory(dir.resolve("b")), Map.of(),
                        guest(kit, lab.addTap(), "-incoming", "tcp:127.0.0.1:" + port))) {
            Await.until("the kit brings eth0 up", Duration.ofMinutes(6), () -> {
                assertTrue(src.process.isAlive(), "the engine ended: " + src.stderr());
                return src.serialText().contains("jkvm-init: eth0 up with " + GUEST_IP);
            });
            Map<String, Long> before = Await.value("the guest answers", Duration.ofMinutes(2),
                    () -> lab.probe(GUEST_IP, 3, 0, 0, 3), r -> r.get("tcp_ok") == 3);
            assertEquals(3, before.get("ping_ok"), "pings to the Linux guest: " + before);
            try (EngineProcess.QmpClient q = NetEngineTest.qmp(src)) {
                q.execute("{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:127.0.0.1:" + port + "\"}}");
                Map<?, ?> info = Await.value("the migration ends", Duration.ofMinutes(4), () -> (Map<?, ?>) q.execute(
                        "{\"execute\":\"query-migrate\"}").get("return"), m -> List.of("completed", "failed",
                        "cancelled").contains(m.get("status")));
                assertEquals("completed", info.get("status"), info.toString());
            }
            Map<String, Long> after = lab.probe(GUEST_IP, 3, 0, 0, 3);
            System.out.println("LinuxNetTest: before " + before + ", after the migration " + after);
            assertEquals(3, after.get("ping_ok"), "pings after the migration: " + after);
            assertEquals(3, after.get("tcp_ok"), "TCP echoes after the migration: " + after);
            long frames = Await.value("the destination's five RARP rounds", () -> ((Number) NetEngineTest.nic(dst)
                    .get("announce-frames")).longValue(), n -> n >= 5);
            assertEquals(5, frames, "QEMU's five rounds");
        }
    }
}
