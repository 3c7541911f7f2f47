package org.jkvm.firmware;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The firmware's virtio-blk driver under QEMU TCG, whose virtio-blk-pci is transitional (device 0x1001, a legacy
 * I/O BAR beside the modern capabilities): workload=disk writes, re-checks and, from its on-disk header, re-checks
 * the whole range after a restart; inject=disk proves the checker counts; workload=diskbench prints its one result
 * line for every op (what {@code bin/jkvm-bench Disk} reads); a guest without a disk gets one fw-error sentence.
 */
class FirmwareQemuDiskTest {
    /** The diskbench result line (README, "workload=diskbench"). */
    static final Pattern BENCH = Pattern.compile("diskbench op=(randread|randwrite|seqread|seqwrite) bs=\\d+ count=\\d+"
            + " requests=\\d+ bytes=\\d+ errors=\\d+ tsc_ticks=\\d+ us=\\d+ iops=\\d+ kib_s=\\d+");

    @TempDir
    Path dir;

    private Path image(String format) throws Exception {
        Path img = dir.resolve("disk." + format);
        Path qemuImg = Require.command("qemu-img");
        Process p = new ProcessBuilder(qemuImg.toString(), "create", "-q", "-f", format, img.toString(), "8M")
                .redirectErrorStream(true).redirectOutput(dir.resolve("qemu-img.log").toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0,
                Files.readString(dir.resolve("qemu-img.log")));
        return img;
    }

    private static List<String> disk(Path img, String format) {
        return List.of("-drive", "file=" + img + ",format=" + format + ",if=none,id=d0", "-device",
                "virtio-blk-pci,drive=d0");
    }

    private static String line(QemuRun run, String prefix) {
        return run.lines().stream().filter(l -> l.startsWith(prefix)).findFirst().orElse("");
    }

    @Test
    void theDiskWorkloadChecksItsSectorsAndARestartRechecksTheWholeRange() throws Exception {
        Path qemu = Require.command("qemu-system-x86_64");
        Path img = image("qcow2");
        Path fw = Firmware.extractTo(dir);
        QemuRun first = QemuRun.boot(qemu, fw, dir, "workload=disk mib=2 rate=1000 hb_ms=300 exit_after=3", 64,
                "qemu64", disk(img, "qcow2"));
        assertEquals(1, first.exitStatus(), "debug exit 0: " + first.lines());
        assertTrue(line(first, "disk ").contains(" resume=fresh "), first.lines().toString());
        long lastWrites = -1;
        for (String hb : first.heartbeats()) {
            Map<String, String> f = SerialLine.fields(hb);
            assertEquals(0, SerialLine.number(f, "errors"), hb);
            assertEquals(0, SerialLine.number(f, "disk_bad"), hb);
            assertTrue(SerialLine.number(f, "disk_writes") > lastWrites, "disk_writes rises: " + first.lines());
            lastWrites = SerialLine.number(f, "disk_writes");
        }
        // One deliberate bad sector after heartbeat 0: the checker finds it once and the exit status says so.
        QemuRun injected = QemuRun.boot(qemu, fw, dir, "workload=disk mib=2 rate=1000 hb_ms=300 exit_after=3"
                + " inject=disk", 64, "qemu64", disk(img, "qcow2"));
        assertEquals(3, injected.exitStatus(), "debug exit 1: " + injected.lines());
        assertTrue(line(injected, "disk ").contains(" resume=header checked=4088 ")
                && line(injected, "disk ").contains(" disk_bad=0 "), "the restart re-checked: " + injected.lines());
        assertEquals(1, injected.lines().stream().filter(l -> l.startsWith("disk-bad ")).count(), injected.lines()
                .toString());
        assertEquals(1, SerialLine.number(SerialLine.fields(injected.heartbeats().get(2)), "disk_bad"));
        // The checker repaired the sector: the next guest finds the whole range right.
        QemuRun third = QemuRun.boot(qemu, Firmware.extract32To(dir), dir, "workload=disk mib=2 rate=1000 hb_ms=300"
                + " exit_after=2", 64, "qemu64", disk(img, "qcow2"));
        assertEquals(1, third.exitStatus(), "the 32-bit build too: " + third.lines());
        assertTrue(line(third, "disk ").contains(" resume=header checked=4088 ")
                && line(third, "disk ").contains(" disk_bad=0 "), third.lines().toString());
    }

    @Test
    void diskbenchPrintsOneResultLineForEachOp() throws Exception {
        Path qemu = Require.command("qemu-system-x86_64");
        Path img = image("raw");
        Path fw = Firmware.extractTo(dir);
        for (String op : List.of("seqwrite", "seqread", "randwrite", "randread")) {
            QemuRun run = QemuRun.boot(qemu, fw, dir, "workload=diskbench op=" + op + " bs=4096 count=200 mib=8", 64,
                    "qemu64", disk(img, "raw"));
            assertEquals(1, run.exitStatus(), op + ": " + run.lines());
            List<String> results = run.lines().stream().filter(l -> l.startsWith("diskbench ")).toList();
            assertEquals(1, results.size(), run.lines().toString());
            assertTrue(BENCH.matcher(results.get(0)).matches(), results.get(0));
            Map<String, String> f = SerialLine.fields(results.get(0));
            assertEquals(op, f.get("op"));
            assertEquals(200, SerialLine.number(f, "requests"));
            assertEquals(200 * 4096, SerialLine.number(f, "bytes"));
            assertEquals(0, SerialLine.number(f, "errors"));
        }
        byte[] written = Files.readAllBytes(img);
        assertEquals(1, written[0], "seqwrite wrote the firmware's pattern from sector 0");
    }

    @Test
    void aGuestWithoutADiskIsToldToAddOne() throws Exception {
        Path qemu = Require.command("qemu-system-x86_64");
        QemuRun run = QemuRun.boot(qemu, Firmware.extractTo(dir), dir, "workload=disk mib=1", 64, "qemu64");
        assertEquals("fw-error workload=disk needs a virtio disk (-device virtio-blk-pci) but the guest has none;"
                + " add one", run.lines().get(run.lines().size() - 1));
        assertEquals((2 << 1) | 1, run.exitStatus());
    }
}
