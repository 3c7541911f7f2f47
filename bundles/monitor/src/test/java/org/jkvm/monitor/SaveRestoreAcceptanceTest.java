package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3 acceptance 3: the seed's savevm/loadvm section word for word, with jkvm-engine in place of qemu:
 * {@code migrate_set_speed 4095m}, {@code migrate "exec:gzip -c > STATEFILE.gz"}, then both load forms; and
 * the gpg variant with a throwaway key.
 */
class SaveRestoreAcceptanceTest {
    private static final long HB_MS = 300;
    private static final String APPEND = "workload=verify mib=8 rate=1000 hb_ms=" + HB_MS;

    @TempDir
    Path dir;

    /** Runs a guest, saves it with {@code migrate "EXEC"}, quits; returns the serial text it wrote. */
    private String save(Path d, String execUri) throws Exception {
        Files.createDirectories(d);
        try (EngineProcess a = EngineProcess.start(d, "-append", APPEND); HmpClient ha = HmpClient.of(a)) {
            a.awaitHeartbeats(3, 30_000);
            assertEquals("", ha.cmd("migrate_set_speed 4095m"));
            assertEquals("", ha.cmd("migrate \"" + execUri + "\""), "the save completes before the prompt");
            assertEquals("completed", ha.infoMigrate().get("Migration status"));
            assertEquals("VM status: paused (postmigrate)", ha.cmd("info status"));
            ha.cmd("quit");
            assertEquals(0, a.awaitExit(30_000), a.stderr());
            return a.serialText();
        }
    }

    /** Checks that a restored engine continues the saved heartbeats, then quits it. */
    private static void assertResumes(String saved, EngineProcess b) throws Exception {
        // The TSC is restored as saved: guest time continues from the save whatever the wall-clock gap.
        Heartbeats.assertContinues(saved, b, 3, HB_MS, 1000);
        try (HmpClient hb = HmpClient.of(b)) {
            assertEquals("VM status: running", hb.cmd("info status"));
            hb.cmd("quit");
        }
        assertEquals(0, b.awaitExit(30_000), b.stderr());
    }

    @Test
    void gzipStateFileLoadsBothWaysTheSeedWrites() throws Exception {
        Require.command("gzip");
        Path state = dir.resolve("STATEFILE.gz");
        String saved = save(dir.resolve("a"), "exec:gzip -c > " + state);
        byte[] magic = Arrays.copyOf(Files.readAllBytes(state), 2);
        assertArrayEquals(new byte[] {0x1f, (byte) 0x8b}, magic, "a gzip file");
        Path b1 = Files.createDirectories(dir.resolve("b1"));
        try (EngineProcess b = EngineProcess.start(b1, "-append", APPEND, "-incoming", "exec: gzip -c -d " + state)) {
            assertResumes(saved, b);
        }
        Path b2 = Files.createDirectories(dir.resolve("b2"));
        try (EngineProcess b = EngineProcess.startPiped(b2, "gzip -c -d " + state, "-append", APPEND,
                "-incoming", "exec:cat")) {
            assertResumes(saved, b);
        }
    }

    @Test
    void gpgEncryptedStateFileLoadsThroughExecCat() throws Exception {
        Require.command("gpg");
        Path home = Files.createDirectories(dir.resolve("gnupg"));
        Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        String gpg = "GNUPGHOME=" + home + " gpg --batch --no-tty";
        try {
            sh(gpg + " --passphrase '' --quick-gen-key 'jkvm test <KEY@jkvm.test>' future-default default never");
            Path state = dir.resolve("STATEFILE.gpg");
            String saved = save(dir.resolve("a"), "exec:" + gpg + " -q -e -r KEY@jkvm.test -o " + state);
            Path b1 = Files.createDirectories(dir.resolve("b1"));
            try (EngineProcess b = EngineProcess.startPiped(b1, gpg + " -q -d " + state, "-append", APPEND,
                    "-incoming", "exec:cat")) {
                assertResumes(saved, b);
            }
        } finally {
            new ProcessBuilder("/bin/sh", "-c", "GNUPGHOME=" + home + " gpgconf --kill gpg-agent").start()
                    .waitFor(10, TimeUnit.SECONDS);
        }
    }

    private void sh(String command) throws Exception {
        Path log = dir.resolve("sh-" + System.nanoTime() + ".txt");
        Process p = new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new AssertionError("'" + command + "' failed: " + Files.readString(log));
        }
    }
}
