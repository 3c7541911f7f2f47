package org.jkvm.firmware;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.jkvm.testkit.RepoPaths;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** src/firmware/build.sh is deterministic and the committed image (and the bundled copy) is what it builds. */
class FirmwareBuildTest {
    @TempDir
    Path dir;

    @Test
    void rebuildMatchesTheCommittedImageByteForByte() throws Exception {
        Require.command("gcc");
        Require.command("ld");
        Require.command("objcopy");
        Path script = RepoPaths.of("src", "firmware", "build.sh");
        Path log = dir.resolve("build.log");
        Process p = new ProcessBuilder("sh", script.toString(), dir.resolve("out").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("build.sh did not finish within 120 s");
        }
        assertEquals(0, p.exitValue(), () -> "build.sh failed: " + read(log));
        byte[] rebuilt = Files.readAllBytes(dir.resolve("out").resolve(Firmware.FILE_NAME));
        byte[] committed = Files.readAllBytes(RepoPaths.of("src", "firmware", Firmware.FILE_NAME));
        assertArrayEquals(committed, rebuilt,
                "src/firmware/jkvm-fw.elf is stale: run src/firmware/build.sh and commit the image");
        assertArrayEquals(committed, Firmware.image(), "the bundled resource differs from src/firmware/jkvm-fw.elf");
        byte[] rebuilt32 = Files.readAllBytes(dir.resolve("out").resolve(Firmware.FILE_NAME_32));
        byte[] committed32 = Files.readAllBytes(RepoPaths.of("src", "firmware", Firmware.FILE_NAME_32));
        assertArrayEquals(committed32, rebuilt32,
                "src/firmware/jkvm-fw32.elf is stale: run src/firmware/build.sh and commit the image");
        assertArrayEquals(committed32, Firmware.image32(), "the bundled 32-bit image differs from the committed one");
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
