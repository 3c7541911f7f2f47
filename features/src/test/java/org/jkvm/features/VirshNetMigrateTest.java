package org.jkvm.features;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jkvm.testkit.Await;
import org.jkvm.testkit.NetProbe;
import org.jkvm.testkit.RepoPaths;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 acceptance 1 with the real virsh: hosts A and B ({@link TwoHosts}, each a jkvmd in its network namespace)
 * each get a bridge {@code brg} with an uplink veth into a third "switch" namespace, whose bridge joins both uplinks
 * and holds the client (198.51.100.1). A {@code type='qemu'} domain with {@code <interface type='bridge'>} on
 * {@code brg} runs the firmware's network stack (198.51.100.2) on A; the client's UDP echoes reach it through A's
 * uplink; after {@code virsh migrate --live} to B the engine's announcement moves the switch's forwarding entry for
 * the guest's MAC to B's uplink and the guest answers from B. The test prints how long after virsh returned the
 * switch pointed at B.
 */
class VirshNetMigrateTest {
    static final String MAC = "52:54:00:4a:4b:05";
    static final String GUEST_IP = "198.51.100.2";
    private final String sw = "jksw" + ProcessHandle.current().pid() % 100000;

    @TempDir
    Path dir;

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }

    private static String ip(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    private void network(String[] hosts) throws IOException, InterruptedException {
        ip("netns", "add", sw);
        ip("-n", sw, "link", "set", "lo", "up");
        ip("-n", sw, "link", "add", "brs", "type", "bridge");
        ip("-n", sw, "link", "set", "brs", "up");
        ip("-n", sw, "addr", "add", "198.51.100.1/24", "dev", "brs");
        for (int i = 0; i < 2; i++) {
            String up = "u" + (char) ('a' + i);
            ip("-n", hosts[i], "link", "add", "brg", "type", "bridge");
            ip("-n", hosts[i], "link", "set", "brg", "up");
            ip("-n", hosts[i], "link", "add", up, "type", "veth", "peer", "name", up + "s", "netns", sw);
            ip("-n", hosts[i], "link", "set", up, "master", "brg", "up");
            ip("-n", sw, "link", "set", up + "s", "master", "brs", "up");
        }
    }

    private String switchPort() throws IOException, InterruptedException {
        for (String line : run(List.of("bridge", "-n", sw, "fdb", "show", "br", "brs")).split("\n")) {
            if (line.startsWith(MAC + " dev ")) {
                return line.split(" ")[2];
            }
        }
        return "";
    }

    private long udpEchoes(int count) throws IOException, InterruptedException {
        String out = run(List.of("ip", "netns", "exec", sw, ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), NetProbe.class.getName(), GUEST_IP, "0",
                Integer.toString(count), "0"));
        for (String w : out.strip().split(" ")) {
            if (w.startsWith("udp_ok=")) {
                return Long.parseLong(w.substring(7));
            }
        }
        throw new AssertionError("no probe result: " + out);
    }

    @Test
    void theGuestAnswersFromBAndTheSwitchLearnsBsUplink() throws Exception {
        Require.command("virsh");
        Require.command("bridge");
        Backend.requireSoftCpu("the domain is type='qemu': ");
        String engine = Require.path(RepoPaths.of("bin", "jkvm-engine"), "the engine launcher is in the repository")
                .toString();
        String nic = "    <interface type='bridge'>\n      <mac address='" + MAC + "'/>\n      <source bridge='brg'/>"
                + "\n      <target dev='vnetg0'/>\n      <model type='virtio'/>\n    </interface>\n  </devices>";
        String xml = Guest.xml("qemu", "ng", "hb_ms=200 ip=" + GUEST_IP + "/24").replace("  </devices>", nic);
        Path file = Files.writeString(dir.resolve("ng.xml"), xml);
        try (TwoHosts hosts = TwoHosts.start(dir, engine, true, 49840)) {
            Require.that(hosts.namespaced(), "the hosts could not get network namespaces");
            try {
                network(hosts.namespaces());
                hosts.virsh(hosts.a.tcpUri(), "define", file.toString()).ok();
                hosts.virsh(hosts.a.tcpUri(), "start", "ng").ok();
                Guest.awaitHeartbeats(hosts.a.state().resolve("log/ng.serial"), 2, java.time.Duration.ofSeconds(120));
                assertEquals(10, udpEchoes(10), "the guest answers on A");
                assertEquals("uas", switchPort());
                hosts.virsh(hosts.a.tcpUri(), "migrate", "--live", "--persistent", "--undefinesource", "ng",
                        hosts.b.tcpUri()).ok();
                long migrated = System.nanoTime();
                Await.until("the switch learns B's uplink", () -> switchPort().equals("ubs"));
                System.out.println("VirshNetMigrateTest: the switch pointed at B " + (System.nanoTime() - migrated)
                        / 1_000_000 + " ms after virsh migrate returned");
                assertEquals(10, udpEchoes(10), "the guest answers from B");
                hosts.virsh(hosts.b.tcpUri(), "destroy", "ng").ok();
            } finally {
                new ProcessBuilder("ip", "netns", "del", sw).start().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }
}
