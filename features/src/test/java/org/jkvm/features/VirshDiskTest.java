package org.jkvm.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jkvm.testkit.RepoPaths;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 item 6 with the real virsh and the real engine on its software CPU: a {@code type='qemu'} domain with a
 * qcow2 overlay on a qcow2 base that {@code qemu-img create -b} made is defined (the disk gets PCI slot 0x02, as
 * libvirt gives it) and starts; {@code virsh domblklist} lists it from the domain XML and {@code virsh domblkinfo}
 * gives its capacity (the qcow2 virtual size) and file size; the live {@code virsh dumpxml} shows the backing chain
 * as libvirt does ({@code --inactive}: as defined), and {@code virsh domblkstat} (also {@code --human}) reads the
 * engine's counters.
 */
class VirshDiskTest {
    @TempDir
    Path dir;

    @Test
    void aQemuDomainWithAQcow2DiskStartsAndDomblklistAndDomblkinfoShowIt() throws Exception {
        Require.command("virsh");
        Path qemuImg = Require.command("qemu-img");
        String engine = Require.path(RepoPaths.of("bin", "jkvm-engine"), "the engine launcher is part of the"
                + " repository").toString();
        Backend.requireSoftCpu("");
        Path image = dir.resolve("images/disk0.qcow2");
        Files.createDirectories(image.getParent());
        Path base = image.resolveSibling("base.qcow2");
        run(qemuImg.toString(), "create", "-q", "-f", "qcow2", base.toString(), "64M");
        run(qemuImg.toString(), "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", image.toString());
        String disk = "    <disk type='file' device='disk'>\n"
                + "      <driver name='qemu' type='qcow2' cache='writeback'/>\n"
                + "      <source file='" + image + "'/>\n      <target dev='vda' bus='virtio'/>\n"
                + "      <serial>jkvm-disk0</serial>\n    </disk>\n  </devices>";
        String xml = Guest.xml("qemu", "diskguest", "workload=disk mib=2 rate=100 hb_ms=200")
                .replace("  </devices>", disk);
        try (Daemon d = new Daemon(dir.resolve("h"), engine, 49496, Map.of("jkvm.kvm.device",
                dir.resolve("nonexistent").toString()))) {
            String uri = d.unixUri();
            Path file = Files.writeString(dir.resolve("diskguest.xml"), xml);
            Virsh.run(uri, "define", file.toString()).ok();
            String defined = Virsh.run(uri, "dumpxml", "diskguest").ok();
            assertTrue(defined.replace('"', '\'').contains("<address type='pci' domain='0x0000' bus='0x00' slot='0x02'"
                    + " function='0x0'/>"), defined);
            assertEquals("Domain 'diskguest' started", Virsh.run(uri, "start", "diskguest").ok());
            Path serial = d.state.resolve("log/diskguest.serial");
            Guest.awaitHeartbeats(serial, -1, java.time.Duration.ofSeconds(120));
            List<List<String>> rows = Virsh.run(uri, "domblklist", "diskguest").ok().lines().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("---")).map(l -> List.of(l.split("\\s+"))).toList();
            assertEquals(List.of(List.of("Target", "Source"), List.of("vda", image.toString())), rows);
            long physical = Files.size(image);
            List<List<String>> info = Virsh.run(uri, "domblkinfo", "diskguest", "vda").ok().lines()
                    .map(String::strip).filter(l -> !l.isEmpty()).map(l -> List.of(l.split(":\\s*"))).toList();
            assertEquals(List.of(List.of("Capacity", Long.toString(64L << 20)), List.of("Allocation",
                    Long.toString(physical)), List.of("Physical", Long.toString(physical))), info);
            assertEquals(info, Virsh.run(uri, "domblkinfo", "diskguest", image.toString()).ok().lines()
                    .map(String::strip).filter(l -> !l.isEmpty()).map(l -> List.of(l.split(":\\s*"))).toList());
            // The live XML shows the chain as libvirt detects it; the inactive XML stays as defined.
            String live = Virsh.run(uri, "dumpxml", "diskguest").ok().replace('"', '\'');
            assertTrue(live.contains("<source file='" + image + "' index='2'/>\n      <backingStore type='file'"
                    + " index='1'>\n        <format type='qcow2'/>\n        <source file='" + base + "'/>\n"
                    + "        <backingStore/>\n      </backingStore>\n"), live);
            String inactive = Virsh.run(uri, "dumpxml", "--inactive", "diskguest").ok();
            assertTrue(!inactive.contains("backingStore") && !inactive.contains("index="), inactive);
            Map<String, Long> stats = domblkstat(uri, "diskguest", "vda");
            assertEquals(List.of("rd_req", "rd_bytes", "wr_req", "wr_bytes", "flush_operations", "rd_total_times",
                    "wr_total_times", "flush_total_times"), List.copyOf(stats.keySet()));
            // The guest writes and checks its disk: the counters rise between two reads.
            long seq = Guest.lastSeq(serial);
            Guest.awaitHeartbeats(serial, seq + 1, java.time.Duration.ofSeconds(120));
            Map<String, Long> later = domblkstat(uri, "diskguest", "vda");
            assertTrue(later.get("wr_req") > stats.get("wr_req") && later.get("rd_req") > stats.get("rd_req"),
                    stats + " then " + later);
            assertTrue(later.get("flush_operations") > 0 && later.get("wr_total_times") > 0, later.toString());
            assertEquals(0, later.get("wr_bytes") % 512, later.toString());
            assertTrue(later.get("wr_bytes") >= 512 * later.get("wr_req"), later.toString());
            String hb = Files.readAllLines(serial, java.nio.charset.StandardCharsets.ISO_8859_1).stream()
                    .filter(l -> l.startsWith("hb seq=") && l.contains("disk_writes=")).reduce((a, b) -> b)
                    .orElseThrow();
            assertTrue(hb.contains(" errors=0") && hb.contains(" disk_bad=0"), hb);
            String human = Virsh.run(uri, "domblkstat", "diskguest", "vda", "--human").ok();
            assertTrue(human.contains("number of write operations:"), human);
            Virsh.Result bad = Virsh.run(uri, "domblkstat", "diskguest", "vdz");
            assertTrue(bad.code() != 0 && bad.err().contains("invalid path: vdz"), bad.toString());
            Virsh.run(uri, "destroy", "diskguest").ok();
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", cmd) + ": " + out);
    }

    /** {@code virsh domblkstat DOM DISK}: its {@code DISK NAME VALUE} lines, in order. */
    static Map<String, Long> domblkstat(String uri, String domain, String disk) {
        Map<String, Long> m = new java.util.LinkedHashMap<>();
        for (String line : Virsh.run(uri, "domblkstat", domain, disk).ok().lines().map(String::strip)
                .filter(l -> !l.isEmpty()).toList()) {
            String[] w = line.split("\\s+");
            assertEquals(3, w.length, line);
            assertEquals(disk, w[0], line);
            m.put(w[1], Long.parseLong(w[2]));
        }
        return m;
    }
}
