package org.jkvm.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.jkvm.testkit.RepoPaths;
import org.jkvm.testkit.Require;
import org.jkvm.testkit.TapLab;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 item 4 with the real virsh and the real engine on its software CPU: a domain with an
 * {@code <interface type='ethernet'>} on an existing tap ({@code managed='no'}, a {@link TapLab} tap bridged to a
 * client namespace) is defined (the NIC gets PCI slot 0x02, as libvirt gives it), starts, and its firmware answers
 * the client's pings and UDP echoes; {@code virsh domiflist} lists the NIC and {@code virsh domifstat} shows its
 * counters from the guest's side; a domain naming a tap that does not exist fails to start with one sentence.
 */
class VirshNetTest {
    static final String MAC = "52:54:00:4a:4b:04";

    @TempDir
    Path dir;

    @Test
    void aDomainOnATapAnswersAndDomiflistAndDomifstatShowIt() throws Exception {
        Require.command("virsh");
        String engine = Require.path(RepoPaths.of("bin", "jkvm-engine"), "the engine launcher is part of the"
                + " repository").toString();
        Backend.requireSoftCpu("");
        try (TapLab lab = TapLab.create(); Daemon d = new Daemon(dir.resolve("h"), engine, 49460,
                Map.of("jkvm.kvm.device", dir.resolve("nonexistent").toString()))) {
            String nic = "    <interface type='ethernet'>\n      <mac address='" + MAC + "'/>\n      <target dev='"
                    + lab.tap() + "' managed='no'/>\n      <model type='virtio'/>\n    </interface>\n  </devices>";
            String xml = Guest.xml("qemu", "netguest", "hb_ms=200 ip=10.77.0.2/24").replace("  </devices>", nic);
            String uri = d.unixUri();
            Virsh.run(uri, "define", Files.writeString(dir.resolve("netguest.xml"), xml).toString()).ok();
            String defined = Virsh.run(uri, "dumpxml", "netguest").ok().replace('"', '\'');
            assertTrue(defined.contains("<address type='pci' domain='0x0000' bus='0x00' slot='0x02'"
                    + " function='0x0'/>"), defined);
            assertEquals("Domain 'netguest' started", Virsh.run(uri, "start", "netguest").ok());
            Guest.awaitHeartbeats(d.state.resolve("log/netguest.serial"), -1, java.time.Duration.ofSeconds(120));
            Map<String, Long> probe = lab.probe("10.77.0.2", 3, 10, 0);
            assertEquals(3, probe.get("ping_ok"), probe.toString());
            assertEquals(10, probe.get("udp_ok"), probe.toString());
            List<List<String>> rows = Virsh.run(uri, "domiflist", "netguest").ok().lines().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("---")).map(l -> List.of(l.split("\\s+"))).toList();
            assertEquals(List.of(List.of("Interface", "Type", "Source", "Model", "MAC"),
                    List.of(lab.tap(), "ethernet", "-", "virtio", MAC)), rows);
            Map<String, Long> stats = new java.util.LinkedHashMap<>();
            for (String line : Virsh.run(uri, "domifstat", "netguest", lab.tap()).ok().lines().map(String::strip)
                    .filter(l -> !l.isEmpty()).toList()) {
                String[] w = line.split("\\s+");
                stats.put(w[1], Long.parseLong(w[2]));
            }
            assertEquals(List.of("rx_bytes", "rx_packets", "rx_errs", "rx_drop", "tx_bytes", "tx_packets", "tx_errs",
                    "tx_drop"), List.copyOf(stats.keySet()));
            assertTrue(stats.get("rx_packets") >= 13 && stats.get("tx_packets") >= 13, stats.toString());
            assertEquals(stats.keySet(), statsByMac(uri).keySet());
            Virsh.run(uri, "destroy", "netguest").ok();

            String missing = xml.replace(lab.tap(), "jknotap0").replace("netguest", "netguest2")
                    .replaceFirst("<uuid>[^<]*</uuid>", "");
            Virsh.run(uri, "define", Files.writeString(dir.resolve("netguest2.xml"), missing).toString()).ok();
            Virsh.Result bad = Virsh.run(uri, "start", "netguest2");
            assertTrue(bad.code() != 0 && bad.err().contains("tap device 'jknotap0' does not exist; create it (ip"
                    + " tuntap add jknotap0 mode tap) or drop managed='no' so that the engine creates it"),
                    bad.toString());
        }
    }

    /** domifstat by MAC gives the same NIC (the counters read once more: only their names are compared). */
    private static Map<String, Long> statsByMac(String uri) {
        Map<String, Long> m = new java.util.LinkedHashMap<>();
        for (String line : Virsh.run(uri, "domifstat", "netguest", MAC).ok().lines().map(String::strip)
                .filter(l -> !l.isEmpty()).toList()) {
            m.put(line.split("\\s+")[1], 0L);
        }
        return m;
    }
}
