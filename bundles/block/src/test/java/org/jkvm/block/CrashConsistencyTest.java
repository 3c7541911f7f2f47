package org.jkvm.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL during heavy writes (issue 14, acceptance 3): a child JVM ({@link CrashWriter}) allocates as fast as it can
 * in a qcow2 image and is killed at a random number of acknowledged writes; then {@code qemu-img check} must find no
 * corruption (leaked clusters are allowed), and every write the child saw acknowledged must read back whole, through
 * jkvm and through {@code qemu-io}. Repeated with several seeds and kill points, cluster sizes and cache modes.
 */
class CrashConsistencyTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "seed {0}, cluster {1}, cache {2}")
    @CsvSource({"1,65536,writeback", "2,4096,writeback", "3,512,writeback", "4,65536,none", "5,4096,writethrough",
        "6,65536,unsafe"})
    void aKilledWriterLeavesAConsistentImageWithItsAcknowledgedWrites(long seed, int cluster, String cache)
            throws Exception {
        QemuTools.require();
        Path image = dir.resolve("crash.qcow2");
        QemuTools.run("qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=" + cluster, image.toString(),
                "1G"); // 262144 slots: the writer is still far from its end when the parent has read the kill point
        int killAfter = 200 + new Random(seed).nextInt(1500);
        List<Integer> acked = new ArrayList<>();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                CrashWriter.class.getName(), image.toString(), Long.toString(seed), cache)
                .redirectError(dir.resolve("writer.err").toFile()).start(); // a full stderr pipe would stall it
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            assertEquals("start", out.readLine(), "the writer did not start; see " + dir.resolve("writer.err"));
            for (String line = out.readLine(); line != null && line.startsWith("ok "); line = out.readLine()) {
                acked.add(Integer.parseInt(line.substring(3)));
                if (acked.size() == killAfter) {
                    child.destroyForcibly(); // SIGKILL: no shutdown hook, no close, no flush
                    break;
                }
            }
            child.waitFor();
        }
        assertEquals(killAfter, acked.size(), "the writer ended before the kill");
        assertEquals(137, child.exitValue(), "killed by SIGKILL");
        QemuTools.assertConsistent(image);
        try (BlockImage img = BlockImages.open(image, OpenOptions.of(ImageFormat.QCOW2).withReadOnly(true))) {
            ByteBuffer b = ByteBuffer.allocate(CrashWriter.BLOCK);
            for (int slot : acked) {
                img.read((long) slot * CrashWriter.BLOCK, b.clear());
                for (int w = 0; w < CrashWriter.BLOCK / 8; w++) {
                    assertEquals(slot + 1L, b.getLong(w * 8), "acknowledged block " + slot + " word " + w);
                }
            }
        }
        int last = acked.get(acked.size() - 1);
        String pattern = String.format("%02x", (last + 1) & 0xff);
        String read = QemuTools.io(image, "qcow2", "read -v " + ((long) last * CrashWriter.BLOCK) + " 16");
        assertNotNull(read);
        assertTrue(read.contains(pattern), "qemu-io reads the last acknowledged block: " + read);
    }
}
