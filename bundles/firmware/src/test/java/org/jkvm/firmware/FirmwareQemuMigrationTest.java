package org.jkvm.firmware;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jkvm.testkit.Await;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The verify workload across a live migration on the reference VMM: QEMU TCG to QEMU TCG over loopback TCP.
 * The destination continues the heartbeat sequence and its checker finds no lost page: the reference result
 * that jkvm's own migration of the same image is held to. The same for workload=disk on a qcow2 image both QEMUs
 * share: no lost or torn sector on the destination, which goes on writing.
 */
class FirmwareQemuMigrationTest {
    static final String APPEND = "workload=verify mib=8 rate=5000 hb_ms=250";

    @TempDir
    Path dir;

    @Test
    void verifyWorkloadSurvivesAQemuLiveMigrationWithoutLostPages() throws Exception {
        Path qemu = Require.command("qemu-system-x86_64");
        Path image = Firmware.extractTo(dir);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process src = start(qemu, image, "src", APPEND, List.of());
        Process dst = start(qemu, image, "dst", APPEND, List.of("-incoming", "tcp:127.0.0.1:" + port));
        try (Qmp s = Qmp.connect(dir.resolve("src.qmp")); Qmp d = Qmp.connect(dir.resolve("dst.qmp"))) {
            waitForLines(dir.resolve("src.txt"), 3);   // first line and two heartbeats: pages are in use
            s.execute("{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:127.0.0.1:" + port + "\"}}");
            String status = Await.value("QEMU's migration ends", () -> s.execute("{\"execute\":\"query-migrate\"}"),
                    st -> st.contains("completed") || st.contains("failed"));
            assertTrue(status.contains("\"completed\""), "migration did not complete: " + status);
            int before = readLines(dir.resolve("dst.txt")).size();
            waitForLines(dir.resolve("dst.txt"), before + 8);   // two seconds of guest time on the destination
            d.execute("{\"execute\":\"quit\"}");
            s.execute("{\"execute\":\"quit\"}");
        } finally {
            stop(src);
            stop(dst);
        }
        List<String> srcHb = heartbeats(dir.resolve("src.txt"));
        List<String> dstHb = heartbeats(dir.resolve("dst.txt"));
        assertTrue(dstHb.size() >= 8, "destination heartbeats: " + dstHb);
        long next = SerialLine.number(SerialLine.fields(srcHb.get(srcHb.size() - 1)), "seq") + 1;
        assertEquals(next, SerialLine.number(SerialLine.fields(dstHb.get(0)), "seq"),
                "the destination continues the sequence: " + srcHb + " / " + dstHb);
        for (int i = 0; i < dstHb.size(); i++) {
            Map<String, String> hb = SerialLine.fields(dstHb.get(i));
            assertEquals(next + i, SerialLine.number(hb, "seq"), dstHb.toString());
            assertEquals(0, SerialLine.number(hb, "verify_bad"), "a dirty page was lost: " + dstHb);
            assertEquals(0, SerialLine.number(hb, "errors"), dstHb.toString());
        }
        Map<String, String> last = SerialLine.fields(dstHb.get(dstHb.size() - 1));
        assertTrue(SerialLine.number(last, "gen") >= 3, "the checker covered whole passes after the move: " + last);
    }

    @Test
    void diskWorkloadSurvivesAQemuLiveMigrationOnASharedImage() throws Exception {
        Path qemu = Require.command("qemu-system-x86_64");
        Path qemuImg = Require.command("qemu-img");
        Path image = Firmware.extractTo(dir);
        Path disk = dir.resolve("disk.qcow2");
        Process mk = new ProcessBuilder(qemuImg.toString(), "create", "-q", "-f", "qcow2", disk.toString(), "4M")
                .redirectErrorStream(true).redirectOutput(dir.resolve("qemu-img.log").toFile()).start();
        assertTrue(mk.waitFor(60, TimeUnit.SECONDS) && mk.exitValue() == 0,
                Files.readString(dir.resolve("qemu-img.log")));
        List<String> drive = List.of("-drive", "file=" + disk + ",format=qcow2,if=none,id=d0", "-device",
                "virtio-blk-pci,drive=d0");
        List<String> incoming = new ArrayList<>(drive);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        incoming.addAll(List.of("-incoming", "tcp:127.0.0.1:" + port));
        String append = "workload=disk mib=2 rate=500 hb_ms=250";
        Process src = start(qemu, image, "src", append, drive);
        Process dst = start(qemu, image, "dst", append, incoming);
        try (Qmp s = Qmp.connect(dir.resolve("src.qmp")); Qmp d = Qmp.connect(dir.resolve("dst.qmp"))) {
            waitForLines(dir.resolve("src.txt"), 4);
            s.execute("{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:127.0.0.1:" + port + "\"}}");
            String status = Await.value("QEMU's migration ends", () -> s.execute("{\"execute\":\"query-migrate\"}"),
                    st -> st.contains("completed") || st.contains("failed"));
            assertTrue(status.contains("\"completed\""), "migration did not complete: " + status);
            int before = readLines(dir.resolve("dst.txt")).size();
            waitForLines(dir.resolve("dst.txt"), before + 8);
            d.execute("{\"execute\":\"quit\"}");
            s.execute("{\"execute\":\"quit\"}");
        } finally {
            stop(src);
            stop(dst);
        }
        List<String> srcHb = heartbeats(dir.resolve("src.txt"));
        List<String> dstHb = heartbeats(dir.resolve("dst.txt"));
        assertTrue(dstHb.size() >= 8, "destination heartbeats: " + dstHb);
        long writes = SerialLine.number(SerialLine.fields(srcHb.get(srcHb.size() - 1)), "disk_writes");
        for (String hb : dstHb) {
            Map<String, String> f = SerialLine.fields(hb);
            assertEquals(0, SerialLine.number(f, "disk_bad"), "a lost or torn sector: " + dstHb);
            assertEquals(0, SerialLine.number(f, "errors"), dstHb.toString());
            assertTrue(SerialLine.number(f, "disk_writes") > writes, "the destination goes on writing: " + dstHb);
            writes = SerialLine.number(f, "disk_writes");
        }
    }

    private Process start(Path qemu, Path image, String name, String append, List<String> extra)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(qemu.toString(), "-accel", "tcg", "-cpu", "qemu64", "-m", "64",
                "-kernel", image.toString(), "-append", append, "-display", "none", "-nodefaults", "-no-reboot",
                "-serial", "file:" + dir.resolve(name + ".txt"), "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                "-qmp", "unix:" + dir.resolve(name + ".qmp") + ",server,nowait"));
        cmd.addAll(extra);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile())
                .start();
    }

    private static void stop(Process p) throws InterruptedException {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
    }

    private static void waitForLines(Path file, int count) {
        Await.value(count + " serial lines in " + file, () -> readLines(file), l -> l.size() >= count);
    }

    private static List<String> readLines(Path file) throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        String text = Files.readString(file, StandardCharsets.ISO_8859_1);
        int end = text.lastIndexOf('\n');
        return end < 0 ? List.of() : List.of(text.substring(0, end).split("\n"));
    }

    private static List<String> heartbeats(Path file) throws IOException {
        return readLines(file).stream().filter(l -> l.startsWith("hb ")).toList();
    }
}
