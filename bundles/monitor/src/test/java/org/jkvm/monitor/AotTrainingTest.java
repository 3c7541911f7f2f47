package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jkvm.testkit.RepoPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The AOT cache's training run ({@link AotTraining}, started by {@code bin/jkvm-engine} in the background after a
 * build): it must run the firmware's disk workloads to their clean end, or no cache is ever written and every engine
 * starts without one, which nothing else would notice. Runs it as the script does, in a JVM of its own (here the
 * test's JDK, without {@code -XX:AOTCacheOutput}: what is checked is the workload, not HotSpot's cache).
 */
class AotTrainingTest {
    private static final Path FIRMWARE = RepoPaths.root().resolve("src/firmware/jkvm-fw.elf");

    @TempDir
    Path dir;

    private record Result(int status, String output) {
    }

    private Result train(String... images) throws IOException, InterruptedException {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", cp, AotTraining.class.getName(), FIRMWARE.toString(), dir.toString()));
        cmd.addAll(List.of(images));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the training ends");
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @Test
    void runsEveryDiskWorkloadToItsCleanEnd() throws Exception {
        Path raw = dir.resolve("train.raw");
        try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "rw")) {
            f.setLength(16 << 20);
        }
        Result r = train(raw + ":raw");
        assertEquals(0, r.status(), "training exit status; its output:\n" + r.output());
    }

    @Test
    void aRunThatFailsEndsWithStatus1AndSaysNoCacheIsWritten() throws Exception {
        Result r = train(dir.resolve("missing.raw") + ":raw");
        assertEquals(1, r.status(), r.output());
        assertTrue(r.output().contains("no cache written"), r.output());
    }
}
