package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.jkvm.monitor.EngineProcess.QmpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Acceptance 1 of issue 2: the engine process boots the firmware on /dev/kvm and obeys its monitors. */
class EngineProcessTest {
    @TempDir
    Path dir;

    @Test
    void heartbeatsStopOnStopResumeOnContAndQuitEndsCleanly() throws Exception {
        try (EngineProcess e = EngineProcess.start(dir, "-append", "workload=idle hb_ms=200");
                QmpClient qmp = new QmpClient(e.qmpSocket)) {
            assertTrue(qmp.greeting.containsKey("QMP"), qmp.greeting.toString());
            assertEquals("CommandNotFound", ((Map<?, ?>) qmp.execute("{\"execute\": \"query-status\"}")
                    .get("error")).get("class"), "commands need negotiation first");
            assertEquals(Map.of(), qmp.execute("{\"execute\": \"qmp_capabilities\"}").get("return"));
            e.awaitHeartbeats(3, 30_000);
            assertEquals(Map.of("running", true, "singlestep", false, "status", "running"),
                    qmp.execute("{\"execute\": \"query-status\", \"id\": 1}").get("return"));
            Map<String, Object> r = qmp.execute("{\"execute\": \"stop\", \"id\": \"s\"}");
            assertEquals("s", r.get("id"));
            Map<String, Object> stop = qmp.awaitEvent("STOP");
            assertTrue(((Map<?, ?>) stop.get("timestamp")).containsKey("seconds"), stop.toString());
            assertEquals("paused", ((Map<?, ?>) qmp.execute("{\"execute\": \"query-status\"}").get("return"))
                    .get("status"));
            int stopped = e.seqs().size();
            EngineProcess.observe(3 * 200); // three heartbeat periods: a heartbeat now would be a fault
            assertEquals(stopped, e.seqs().size(), "no heartbeats while stopped: " + e.serialText());
            qmp.execute("{\"execute\": \"cont\"}");
            qmp.awaitEvent("RESUME");
            List<Integer> seqs = e.awaitHeartbeats(stopped + 3, 30_000);
            for (int i = 0; i < seqs.size(); i++) {
                assertEquals(i, seqs.get(i), "consecutive seq across stop/cont: " + seqs);
            }
            assertEquals("GenericError", ((Map<?, ?>) qmp.execute("{\"execute\": \"cont\", \"arguments\": 5}")
                    .get("error")).get("class"));
            assertTrue(((Map<?, ?>) qmp.execute("this is not json").get("error")).get("desc").toString()
                    .startsWith("JSON parse error"));
            assertEquals(Map.of(), qmp.execute("{\"execute\": \"quit\"}").get("return"));
            Map<String, Object> shutdown = qmp.awaitEvent("SHUTDOWN");
            assertEquals(false, ((Map<?, ?>) shutdown.get("data")).get("guest"));
            assertEquals(0, e.awaitExit(30_000), e.stderr());
            assertFalse(Files.exists(e.qmpSocket), "socket removed at exit");
            assertEquals("", e.stderr().strip());
        }
    }

    @Test
    void humanMonitorControlsTheVm() throws Exception {
        try (EngineProcess e = EngineProcess.start(dir, "-S", "-name", "hmp-vm", "-append", "hb_ms=200")) {
            e.awaitFile(e.hmpSocket);
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(e.hmpSocket));
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch),
                        StandardCharsets.UTF_8));
                OutputStream out = Channels.newOutputStream(ch);
                assertTrue(in.readLine().startsWith("jkvm 0.1.0 monitor"));
                for (int i = 0; i < Hmp.PROMPT.length(); i++) {
                    in.read(); // the first prompt
                }
                assertEquals("VM status: paused (prelaunch)", hmp(in, out, "info status"));
                assertEquals("hmp-vm", hmp(in, out, "info name"));
                assertEquals("", hmp(in, out, "cont"));
                e.awaitHeartbeats(1, 30_000);
                assertEquals("VM status: running", hmp(in, out, "info status"));
                String cpus = hmp(in, out, "info cpus");
                assertTrue(cpus.matches("\\* CPU #0: pc=0x[0-9a-f]{16} thread_id=\\d+"), cpus);
                assertFalse(cpus.contains("pc=0x0000000000000000"), "the firmware's RIP was read: " + cpus);
                assertEquals("unknown command: 'frob'", hmp(in, out, "frob"));
                assertEquals("", hmp(in, out, "stop"));
                assertEquals("VM status: paused", hmp(in, out, "info status"));
                String paused = hmp(in, out, "info cpus");
                assertTrue(paused.matches("\\* CPU #0: pc=0x[0-9a-f]{16} \\(halted\\) thread_id=\\d+"), paused);
                out.write("quit\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            assertEquals(0, e.awaitExit(30_000), e.stderr());
        }
    }

    /** Sends one HMP line and returns the answer (the text before the next prompt). */
    private static String hmp(BufferedReader in, OutputStream out, String line) throws Exception {
        out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        StringBuilder answer = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            answer.append((char) c);
            if (answer.toString().endsWith(Hmp.PROMPT)) {
                break;
            }
        }
        String s = answer.toString();
        s = s.substring(0, s.length() - Hmp.PROMPT.length()).replace("\r\n", "\n");
        return s.strip();
    }

    @Test
    void debugExitStatusBecomesTheExitStatus() throws Exception {
        Object[] ok = EngineProcess.runToEnd(dir, "-m", "32M", "-append", "hb_ms=100 exit_after=2");
        assertEquals(0, ok[0], (String) ok[1]);
        Object[] fwError = EngineProcess.runToEnd(dir, "-m", "32M", "-append", "workload=bogus");
        assertEquals(2, fwError[0], "the firmware writes 2 to the debug-exit port after fw-error: " + fwError[1]);
    }

    @Test
    void daemonizeDetachesOnceTheMonitorsAreReady() throws Exception {
        Path pidfile = dir.resolve("engine.pid");
        Path qmpSock = dir.resolve("d.sock");
        Object[] r = EngineProcess.runToEnd(dir, "-daemonize", "-m", "32M", "-pidfile", pidfile.toString(),
                "-qmp", "unix:" + qmpSock + ",server,nowait", "-append", "hb_ms=300");
        assertEquals(0, r[0], (String) r[1]);
        long pid = Long.parseLong(Files.readString(pidfile).strip());
        ProcessHandle child = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("daemon not running"));
        assertTrue(Files.exists(qmpSock), "QMP socket ready when the parent returns");
        try (QmpClient qmp = new QmpClient(qmpSock)) {
            qmp.execute("{\"execute\": \"qmp_capabilities\"}");
            assertEquals("running", ((Map<?, ?>) qmp.execute("{\"execute\": \"query-status\"}").get("return"))
                    .get("status"));
            qmp.execute("{\"execute\": \"quit\"}");
        }
        child.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertFalse(Files.exists(pidfile), "pid file removed at exit");
    }
}
