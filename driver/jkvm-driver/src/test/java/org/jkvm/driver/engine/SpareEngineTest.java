package org.jkvm.driver.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.jkvm.testkit.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spare engine: started ahead, handed a command line, replaced later; switched off for engines without it. */
class SpareEngineTest {
    @TempDir
    Path dir;

    @Test
    void theInputIsTheLogThenTheOptionsEachEndedByNul() {
        String nul = "\0";
        assertArrayEquals(("/l" + nul + "-m" + nul + "64M" + nul).getBytes(StandardCharsets.UTF_8),
                SpareEngine.encode(Path.of("/l"), List.of("-m", "64M")));
    }

    @Test
    void aTakenSpareRunsTheGivenOptionsAndTheNextOneComesLater() throws Exception {
        try (SpareEngine s = new SpareEngine(fakeEngine(), dir.toString(), dir.resolve("spare.log"),
                Duration.ofMillis(300))) {
            Process first = awaitWaiting(s);
            Path qmp = dir.resolve("d.qmp");
            Path pid = dir.resolve("d.pid");
            Optional<Process> p = s.take(List.of("-name", "d", "-qmp", "unix:" + qmp + ",server,nowait",
                    "-pidfile", pid.toString(), "-fake-fail", "on purpose"), dir.resolve("d.log"));
            assertTrue(p.isPresent());
            assertEquals(first.pid(), p.get().pid());
            assertTrue(p.get().waitFor(30, TimeUnit.SECONDS));
            assertEquals(1, p.get().exitValue());
            assertTrue(Files.readString(dir.resolve("d.log")).contains("refusing to start: on purpose"),
                    "the taken spare writes to the domain's log");
            Process second = awaitWaiting(s);
            assertTrue(second.pid() != first.pid(), "a new spare after the respawn delay");
        }
    }

    @Test
    void anEngineWithoutStandbySwitchesSparesOff() throws Exception {
        List<String> cmd = List.of("/bin/sh", "-c", "exit 3", "sh");
        try (SpareEngine s = new SpareEngine(cmd, "label", dir.resolve("spare.log"), Duration.ofMillis(10))) {
            int[] empty = {0};
            // Each spare ends at once; a take finding it ended starts the next, and after three such in a row spares
            // are switched off.
            Await.until("spares are switched off", () -> {
                if (s.current().filter(p -> !p.isAlive()).isPresent()) {
                    assertTrue(s.take(List.of("-S"), dir.resolve("x.log")).isEmpty(),
                            "a dead spare is never handed out");
                    empty[0]++;
                }
                return !s.enabled();
            });
            assertFalse(s.enabled(), "switched off after " + empty[0] + " takes");
            assertTrue(s.take(List.of("-S"), dir.resolve("x.log")).isEmpty());
        }
    }

    @Test
    void closeEndsTheWaitingSpare() throws Exception {
        Process p;
        try (SpareEngine s = new SpareEngine(fakeEngine(), dir.toString(), dir.resolve("spare.log"),
                Duration.ofSeconds(5))) {
            p = awaitWaiting(s);
        }
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "the spare ends when the daemon closes it");
    }

    private static Process awaitWaiting(SpareEngine s) {
        return Await.value("a spare engine waits", s::waiting, Optional::isPresent).orElseThrow();
    }

    /** The fake engine of this module's tests. */
    private static List<String> fakeEngine() {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return new ArrayList<>(List.of(java, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp", cp,
                FakeEngine.class.getName()));
    }
}
