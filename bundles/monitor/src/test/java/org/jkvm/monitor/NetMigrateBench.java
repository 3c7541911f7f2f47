package org.jkvm.monitor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jkvm.monitor.EngineProcess.QmpClient;
import org.jkvm.testkit.Await;
import org.jkvm.testkit.RepoPaths;
import org.jkvm.testkit.SwitchLab;

/**
 * Issue 15 acceptance 4, its last figure (a benchmark, not a test): packets lost around a live migration, jkvm beside
 * QEMU TCG in the same network. The setup is {@code NetMigrationTest}'s: host A and host B are network namespaces,
 * each with a bridge, the guest's tap on it and an uplink veth into a switch namespace ({@link SwitchLab}) whose
 * bridge also holds the client. The guest is the bundled firmware's network stack ({@code ip=10.89.0.2/24}); each
 * engine migrates it live from A to B over tcp with its default announcement, while the client sends it a numbered
 * UDP datagram every 10 ms ({@code UdpStream}). Both engines get the same taps (made beforehand, {@code -netdev
 * tap,...,script=no,downscript=no}), the same command line apart from the binary, and the same QMP commands.
 *
 * <p>Per migration it prints the datagrams sent and lost, the longest run of lost ones, the time from the
 * destination's {@code running} (as seen by polling {@code query-status}) to the switch's forwarding entry moving to
 * B's uplink, and the source's {@code query-migrate} downtime and total time. Run: {@code bin/jkvm-bench NetMigrate}
 * with {@code -Drounds=N} (engines interleaved, default 3), {@code -Ddatagrams=N} (the stream, default 500: 5 s, the
 * migration starting 2 s in), {@code -Dqemu=false}. Needs root, {@code ip}, {@code bridge} and, for QEMU's rows,
 * {@code qemu-system-x86_64}.
 */
public final class NetMigrateBench {
    private static final String MAC = "52:54:00:4a:4b:07";
    private static final String SUBNET = "10.89.0";
    private static final String GUEST_IP = SUBNET + ".2";
    private static final Path FIRMWARE = RepoPaths.root().resolve("src/firmware/jkvm-fw.elf");

    private NetMigrateBench() {
    }

    /** Entry point; prints one line per migration, then the medians per engine. */
    public static void main(String[] args) throws Exception {
        int rounds = Integer.getInteger("rounds", 3);
        int datagrams = Integer.getInteger("datagrams", 500);
        List<String> engines = new ArrayList<>(List.of("jkvm-tcg"));
        if (Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64")) && !"false".equals(System.getProperty("qemu"))) {
            engines.add("qemu-tcg");
        }
        Path dir = Files.createTempDirectory("jkvm-netmig-bench");
        System.out.println("run directory: " + dir);
        System.out.printf(Locale.ROOT, "firmware guest %s, 64 MiB, a UDP datagram every 10 ms (%d), live migration"
                + " A -> B over tcp with the default announcement%n", GUEST_IP, datagrams);
        System.out.printf(Locale.ROOT, "%-9s %6s %6s %12s %10s %12s %10s%n", "engine", "sent", "lost", "longest_gap",
                "fdb_to_B", "downtime_ms", "total_ms");
        for (int round = 0; round < rounds; round++) {
            for (String engine : engines) {
                Path run = Files.createDirectories(dir.resolve(engine + "-" + round));
                long[] r = migrate(engine, run, datagrams);
                System.out.printf(Locale.ROOT, "%-9s %6d %6d %12d %8d ms %12d %10d%n", engine, r[0], r[1], r[2],
                        r[3], r[4], r[5]);
            }
        }
    }

    /** One migration; returns {sent, lost, longest gap, ms from B running to the switch at B, downtime, total}. */
    private static long[] migrate(String engine, Path dir, int datagrams) throws Exception {
        String id = Long.toString((ProcessHandle.current().pid() * 31 + System.nanoTime()) % 100000, 36);
        String a = "jknb-a-" + id;
        String b = "jknb-b-" + id;
        List<Process> processes = new ArrayList<>();
        SwitchLab lab = null;
        try {
            for (String ns : List.of(a, b)) {
                SwitchLab.run("ip", "netns", "add", ns);
                SwitchLab.run("ip", "-n", ns, "link", "set", "lo", "up");
            }
            lab = SwitchLab.create(id, new String[] {a, b}, "brh", SUBNET, true);
            lab.pinNeighbour(GUEST_IP, MAC);
            String tap = "tg" + id;
            for (String ns : List.of(a, b)) {
                SwitchLab.run("ip", "-n", ns, "tuntap", "add", "dev", tap, "mode", "tap");
                SwitchLab.run("ip", "-n", ns, "link", "set", tap, "master", "brh", "up");
            }
            Path src = start(engine, a, tap, dir.resolve("a"), processes, false);
            Path dst = start(engine, b, tap, dir.resolve("b"), processes, true);
            int port = EngineProcess.freePort();
            try (QmpClient qa = qmp(src); QmpClient qb = qmp(dst)) {
                qb.execute("{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"tcp:" + SUBNET + ".12:" + port
                        + "\"}}");
                long warm = SwitchLab.result(lab.stream(GUEST_IP, 50, false)).get("lost");
                if (warm != 0 || !lab.switchPort(MAC).equals(lab.uplink(0))) {
                    throw new IOException(engine + ": the guest does not answer on A (" + warm + " of 50 lost)");
                }
                Process stream = lab.stream(GUEST_IP, datagrams, false);
                EngineProcess.observe(2000); // the stream runs before the migration starts
                qa.execute("{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:" + SUBNET + ".12:" + port + "\"}}");
                Await.until(engine + " runs the guest on B", () -> "running".equals(((Map<?, ?>) qb.execute(
                        "{\"execute\":\"query-status\"}").get("return")).get("status")));
                long running = System.nanoTime();
                SwitchLab finalLab = lab;
                Await.until(engine + ": the switch learns B's uplink", () -> finalLab.switchPort(MAC)
                        .equals(finalLab.uplink(1)));
                long fdbMs = (System.nanoTime() - running) / 1_000_000;
                Map<String, Long> r = SwitchLab.result(stream);
                Map<?, ?> info = (Map<?, ?>) Await.value(engine + ": the source reports the migration completed",
                        () -> qa.execute("{\"execute\":\"query-migrate\"}").get("return"),
                        m -> "completed".equals(((Map<?, ?>) m).get("status")));
                return new long[] {r.get("sent"), r.get("lost"), r.get("longest_gap"), fdbMs,
                        number(info.get("downtime")), number(info.get("total-time"))};
            }
        } finally {
            for (Process p : processes) {
                p.destroy();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
            if (lab != null) {
                lab.close();
            }
            for (String ns : List.of(a, b)) {
                new ProcessBuilder("ip", "netns", "del", ns).start().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private static long number(Object o) {
        return o instanceof Number n ? n.longValue() : -1;
    }

    /** Starts one engine in namespace {@code ns} on tap {@code tap}; waits for its QMP socket (and first beat). */
    private static Path start(String engine, String ns, String tap, Path d, List<Process> processes,
            boolean incoming) throws IOException {
        Files.createDirectories(d);
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        if (engine.equals("qemu-tcg")) {
            cmd.addAll(List.of("qemu-system-x86_64", "-accel", "tcg", "-machine", "pc", "-display", "none",
                    "-nodefaults", "-no-user-config"));
        } else {
            cmd.addAll(List.of(RepoPaths.root().resolve("bin/jkvm-engine").toString(), "-accel", "tcg"));
        }
        cmd.addAll(List.of("-m", "64M", "-kernel", FIRMWARE.toString(), "-append",
                "workload=idle hb_ms=200 ip=" + GUEST_IP + "/24", "-serial", "file:" + d.resolve("serial.log"),
                "-qmp", "unix:" + d.resolve("qmp.sock") + ",server,nowait",
                "-netdev", "tap,id=n0,ifname=" + tap + ",script=no,downscript=no",
                "-device", "virtio-net-pci,netdev=n0,mac=" + MAC));
        if (incoming) {
            cmd.addAll(List.of("-incoming", "defer"));
        }
        processes.add(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(d.resolve("out.txt").toFile())
                .start());
        Await.until(engine + " opens its QMP socket in " + ns, () -> Files.exists(d.resolve("qmp.sock")));
        if (!incoming) {
            Await.until(engine + "'s guest prints its first heartbeat", () -> Files.exists(d.resolve("serial.log"))
                    && Files.readString(d.resolve("serial.log"), StandardCharsets.ISO_8859_1).contains("hb seq="));
        }
        return d;
    }

    private static QmpClient qmp(Path d) throws IOException {
        QmpClient q = new QmpClient(d.resolve("qmp.sock"));
        q.execute("{\"execute\": \"qmp_capabilities\"}");
        return q;
    }
}
