package org.jkvm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;

import org.jkvm.firmware.Firmware;
import org.jkvm.hypervisor.Accelerator;
import org.jkvm.migration.IncomingMigration;
import org.jkvm.migration.MigrationListener;
import org.jkvm.migration.MigrationParameters;
import org.jkvm.migration.MigrationStatus;
import org.jkvm.migration.OutgoingMigration;
import org.jkvm.testkit.Await;
import org.jkvm.testkit.TapLab;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 15 item 5 on jkvm: the bundled firmware's virtio-net driver and stack behind the engine's virtio-net on a
 * tap ({@link TapLab}: the tap on a bridge to a client namespace). The client pings the guest and echoes a numbered
 * UDP stream through it while the memory workload runs; after a live migration to a second engine on another tap of
 * the same bridge the guest answers from there, and the destination asked it to announce itself. On every backend
 * this host has (the software CPU always), the echo with both firmware images.
 */
class FirmwareNetTest {
    private static final String GUEST_IP = "10.77.0.2";
    private static final String MAC = "52:54:00:4a:4b:02";
    private static final String APPEND = "workload=verify mib=4 rate=200 hb_ms=300 ip=" + GUEST_IP + "/24";

    @TempDir
    Path dir;

    static List<Accelerator> backends() {
        return CrossBackendTest.available();
    }

    /** Each backend with the 64-bit image (the engine's default) and with jkvm-fw32 (multiboot, 32-bit). */
    static Stream<Arguments> backendsAndImages() {
        return backends().stream().flatMap(a -> Stream.of(Arguments.of(a, false), Arguments.of(a, true)));
    }

    private Vm vm(Accelerator accel, String tap, String serial, String... extra) {
        List<String> args = new ArrayList<>(List.of("-accel", accel.optionName(), "-m", "64M", "-append", APPEND,
                "-serial", "file:" + dir.resolve(serial),
                "-netdev", "tap,id=n0,ifname=" + tap + ",script=no,downscript=no",
                "-device", "virtio-net-pci,netdev=n0,mac=" + MAC));
        args.addAll(List.of(extra));
        return Vm.create(VmConfigParser.parse(args));
    }

    private String serial(String name) throws IOException {
        Path f = dir.resolve(name);
        return Files.exists(f) ? Files.readString(f) : "";
    }

    /** The last heartbeat's fields once it satisfies {@code ok}; fails at once if the guest stopped. */
    private Map<String, Long> awaitHeartbeat(Vm vm, String name, Predicate<Map<String, Long>> ok) {
        return Await.value("a heartbeat on " + name, () -> {
            if (vm.state() == RunState.SHUTDOWN) {
                throw new AssertionError("the guest stopped: " + serial(name));
            }
            List<String> hbs = serial(name).lines().filter(l -> l.startsWith("hb ")).toList();
            return hbs.isEmpty() ? Map.<String, Long>of() : fields(hbs.get(hbs.size() - 1));
        }, h -> !h.isEmpty() && ok.test(h));
    }

    private static Map<String, Long> fields(String line) {
        Map<String, Long> out = new HashMap<>();
        for (String word : line.split(" ")) {
            int eq = word.indexOf('=');
            if (eq > 0 && word.substring(eq + 1).matches("\\d+")) {
                out.put(word.substring(0, eq), Long.parseLong(word.substring(eq + 1)));
            }
        }
        return out;
    }

    private String netLine(String name) throws IOException {
        return serial(name).lines().filter(l -> l.startsWith("net ")).findFirst().orElse("");
    }

    @ParameterizedTest(name = "{0} 32-bit={1}")
    @MethodSource("backendsAndImages")
    void answersPingAndEchoesNumberedUdpWhileVerifyingMemory(Accelerator accel, boolean bits32) throws Exception {
        String[] image = bits32 ? new String[] {"-kernel", Firmware.extract32To(dir).toString()} : new String[0];
        try (TapLab lab = TapLab.create(); Vm vm = vm(accel, lab.tap(), "guest.log", image)) {
            vm.cont();
            awaitHeartbeat(vm, "guest.log", h -> true);
            assertEquals("net mac=" + MAC + " ip=" + GUEST_IP
                    + "/24 link=1 features=mac,status,ctrl_vq,guest_announce,event_idx", netLine("guest.log"));
            assertEquals(bits32, serial("guest.log").lines().findFirst().orElse("").endsWith(" bits=32"),
                    "the image that runs: " + serial("guest.log"));
            Map<String, Long> probe = lab.probe(GUEST_IP, 5, 20, 3);
            assertEquals(5, probe.get("ping_ok"), "pings answered: " + probe);
            assertEquals(21, probe.get("udp_ok"), "UDP echoes: " + probe);
            // 5 pings, 21 datagrams, at least one ARP request for us.
            Map<String, Long> hb = awaitHeartbeat(vm, "guest.log", h -> h.getOrDefault("net_rx", 0L) >= 27);
            assertEquals(1, hb.get("net_seq_gaps"), hb.toString());
            assertEquals(3, hb.get("net_seq_lost"), hb.toString());
            assertEquals(hb.get("net_rx"), hb.get("net_tx"), "one answer per frame for us: " + hb);
            assertEquals(0, hb.get("errors"), serial("guest.log"));
            assertTrue(hb.get("pages") > 0, "the memory workload ran: " + hb);
            assertFalse(serial("guest.log").contains("fw-error"), serial("guest.log"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void afterALiveMigrationTheGuestAnswersFromTheDestinationAndAnnouncedItself(Accelerator accel) throws Exception {
        try (TapLab lab = TapLab.create(); Vm src = vm(accel, lab.tap(), "src.log");
             Vm dst = vm(accel, lab.addTap(), "dst.log", "-incoming", "defer")) {
            src.cont();
            awaitHeartbeat(src, "src.log", h -> true);
            Map<String, Long> before = lab.probe(GUEST_IP, 2, 10, 0);
            assertEquals(10, before.get("udp_ok"), "before the migration: " + before);
            IncomingMigration in = IncomingMigration.start(dst.migratable(), "tcp:127.0.0.1:0",
                    new MigrationListener() { });
            OutgoingMigration out = OutgoingMigration.start(src.migratable(), "tcp:127.0.0.1:" + in.port(),
                    MigrationParameters.defaults(), new MigrationListener() { });
            assertEquals(MigrationStatus.COMPLETED, out.await(300_000).status(), out.stats().toString());
            assertEquals(MigrationStatus.COMPLETED, in.await(60_000), in.error());
            Map<String, Long> hb = awaitHeartbeat(dst, "dst.log", h -> h.getOrDefault("net_announce", 0L) >= 1);
            assertEquals(0, hb.get("errors"), serial("dst.log"));
            long rxBefore = hb.get("net_rx");
            Map<String, Long> after = lab.probe(GUEST_IP, 2, 10, 0);
            assertEquals(10, after.get("udp_ok"), "after the migration: " + after + "; " + serial("dst.log"));
            assertEquals(2, after.get("ping_ok"), "after the migration: " + after);
            Map<String, Long> last = awaitHeartbeat(dst, "dst.log", h -> h.get("net_rx") >= rxBefore + 12);
            assertEquals(0, last.get("errors"), serial("dst.log"));
        }
    }
}
