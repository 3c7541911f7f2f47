package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jkvm.engine.EngineException;
import org.jkvm.monitor.EngineProcess.QmpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jkvm.testkit.Await;

/** {@code jkvm-engine -standby}: a spare engine takes its command line on standard input and becomes that engine. */
class StandbyTest {
    @TempDir
    Path dir;

    @Test
    void theInputIsTheLogFileThenTheOptions() {
        assertEquals(List.of("/l", "-m", "64M"), Standby.split("/l\0-m\0" + "64M\0"));
        assertEquals(List.of("", "-S"), Standby.split("\0-S"));
        EngineException e = assertThrows(EngineException.class, () -> Standby.split("/only-a-log\0"));
        assertTrue(e.getMessage().contains("no engine options"), e.getMessage());
    }

    @Test
    void aSpareBecomesTheEngineItIsGivenAndLogsWhereItIsTold() throws Exception {
        Process p = spare();
        Path log = dir.resolve("engine.log");
        Path qmp = dir.resolve("qmp.sock");
        Path pidfile = dir.resolve("engine.pid");
        give(p, log, "-name", "spare1", "-m", "64M", "-S", "-pidfile", pidfile.toString(),
                "-serial", "file:" + dir.resolve("serial.log"), "-qmp", "unix:" + qmp + ",server,nowait",
                "-append", "workload=idle hb_ms=100");
        awaitFile(p, qmp);
        try (QmpClient c = new QmpClient(qmp)) {
            c.execute("{\"execute\": \"qmp_capabilities\"}");
            assertEquals("prelaunch", ((Map<?, ?>) c.execute("{\"execute\": \"query-status\"}").get("return"))
                    .get("status"));
            assertEquals(Long.toString(p.pid()), Files.readString(pidfile).strip());
            c.execute("{\"execute\": \"cont\"}");
            Await.until("heartbeats from the spare", () -> {
                assertTrue(p.isAlive(), "the spare ended");
                return Files.readString(dir.resolve("serial.log")).contains("hb seq=1 ");
            });
            c.execute("{\"execute\": \"quit\"}");
        }
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        assertTrue(Files.exists(log), "the engine log was created");
        assertEquals("", Files.readString(dir.resolve("spare.out")).strip(), "the spare's own output is empty");
    }

    @Test
    void anErrorAfterTheHandOverIsWrittenToTheGivenLog() throws Exception {
        Process p = spare();
        Path log = dir.resolve("bad.log");
        give(p, log, "-m", "12Q");
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(1, p.exitValue());
        String text = Files.readString(log);
        assertTrue(text.startsWith("jkvm-engine: ") && text.contains("12Q"), text);
        assertEquals("", Files.readString(dir.resolve("spare.out")).strip(), "nothing on the spare's own output");
    }

    @Test
    void anEmptyInputEndsTheSpareQuietly() throws Exception {
        Process p = spare();
        p.getOutputStream().close();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        assertEquals("", Files.readString(dir.resolve("spare.out")).strip());
    }

    /**
     * While it waits, a spare runs the scratch migrations to the end (its rehearsal VM's monitors used to stop the
     * process's warm-up when they closed, so spares never warmed up their migration paths); JKVM_DEBUG=1 shows the
     * warm-up's debug line.
     */
    @Test
    void aWaitingSpareCompletesItsMigrationWarmUp() throws Exception {
        Process p = spare(Map.of("JKVM_DEBUG", "1"));
        Path out = dir.resolve("spare.out");
        Await.until("the spare's migration warm-up completes", () -> {
            assertTrue(p.isAlive(), "the spare ended: " + Files.readString(out));
            return Files.readString(out).contains("migration warm-up: 4 of 4 scratch migrations");
        });
        p.getOutputStream().close();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
    }

    private Process spare() throws Exception {
        return spare(Map.of());
    }

    private Process spare(Map<String, String> env) throws Exception {
        List<String> cmd = EngineProcess.javaCommand();
        cmd.addAll(List.of("-standby", dir.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("spare.out").toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    private static void give(Process p, Path log, String... options) throws Exception {
        StringBuilder b = new StringBuilder(log.toString()).append('\0');
        for (String o : options) {
            b.append(o).append('\0');
        }
        try (OutputStream in = p.getOutputStream()) {
            in.write(b.toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void awaitFile(Process p, Path f) {
        Await.until("the spare creates " + f, () -> {
            assertTrue(Files.exists(f) || p.isAlive(), "the spare ended before creating " + f);
            return Files.exists(f);
        });
    }
}
