package org.jkvm.driver.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessStartTest {
    private static final Duration SHORT = Duration.ofMillis(300);

    @TempDir
    Path dir;

    @Test
    void countsFieldsAfterTheLastParenthesisOfTheCommandName() {
        String stat = "4242 (a) b (c) d) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 3 0 987654 12345 678";
        assertEquals(OptionalLong.of(987654), ProcessStart.parse(stat));
        assertEquals(OptionalLong.empty(), ProcessStart.parse("4242 (java) S 1 2 3"));
        assertEquals(OptionalLong.empty(), ProcessStart.parse("no command name"));
    }

    @Test
    void aLiveProcessHasOneStartAndAGoneOneNone() throws Exception {
        long self = ProcessHandle.current().pid();
        OptionalLong first = ProcessStart.ticks(self);
        assertTrue(first.isPresent(), "/proc/" + self + "/stat gives this JVM's start");
        assertEquals(first, ProcessStart.ticks(self));
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        assertEquals(OptionalLong.empty(), ProcessStart.ticks(p.pid()));
    }

    @Test
    void aPidWithAnotherStartIsNotReattached() {
        ProcessHandle self = ProcessHandle.current();
        long ticks = ProcessStart.ticks(self.pid()).orElseThrow();
        EnginePaths paths = EnginePaths.of(dir, "d");
        assertTrue(Engine.attach("d", self.pid(), null, ticks + 1, paths, null, SHORT).isEmpty());
        // An older daemon's status file has only the instant: a second's difference is the wall clock, more is not.
        Instant started = self.info().startInstant().orElseThrow();
        assertTrue(Engine.attach("d", self.pid(), started.plusSeconds(5), -1, paths, null, SHORT).isEmpty());
    }

    @Test
    void anEngineThatNeverAnswersIsKilledNotLeftRunning() throws Exception {
        // Ours (same start) and alive, but with no monitor socket: what a hung engine looks like to a new daemon.
        Process p = new ProcessBuilder("sleep", "600").start();
        try {
            long ticks = ProcessStart.ticks(p.pid()).orElseThrow();
            EnginePaths paths = EnginePaths.of(dir, "hung");
            Files.createDirectories(paths.qmp().getParent());
            assertTrue(Engine.attach("hung", p.pid(), null, ticks, paths, null, SHORT).isEmpty());
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), "the engine that did not answer was killed");
            assertEquals(128 + 9, p.exitValue(), "ended by SIGKILL");
        } finally {
            p.destroyForcibly();
        }
    }
}
