package org.jkvm.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jkvm.testkit.Await;
import org.jkvm.testkit.RepoPaths;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/jkvmd} as a real process: options, SIGTERM, and a restart that re-attaches to a running guest. */
class JkvmdProcessTest {
    @TempDir
    Path dir;

    private Process jkvmd(int port, String... extra) throws IOException {
        List<String> cmd = new java.util.ArrayList<>(List.of(RepoPaths.of("bin", "jkvmd").toString(),
                "--state-dir", dir.toString(), "--listen-tcp", "127.0.0.1:" + port, "--engine", Daemon.fakeEngine()));
        cmd.addAll(List.of(extra));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("jkvmd.out").toFile());
        pb.environment().put("JKVM_NO_BUILD", "1");
        return pb.start();
    }

    private void awaitReady(Process p, int times) {
        Await.until("jkvmd says ready " + times + " time(s)", Duration.ofSeconds(60), () -> {
            String out = Files.readString(dir.resolve("jkvmd.out"), StandardCharsets.UTF_8);
            if (out.split("jkvmd ready", -1).length - 1 >= times) {
                return true;
            }
            if (!p.isAlive()) {
                throw new AssertionError("jkvmd exited " + p.exitValue() + ": " + out);
            }
            return false;
        });
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }

    @Test
    void badOptionsExitWithStatus2AndAMessage() throws Exception {
        Require.path(Daemon.bundles(), "the daemon is built");
        ProcessBuilder pb = new ProcessBuilder(RepoPaths.of("bin", "jkvmd").toString(), "--listen-tcp", "0.0.0.0:1")
                .redirectErrorStream(true);
        pb.environment().put("JKVM_NO_BUILD", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.contains("--insecure-listen"), out);
    }

    @Test
    void sigtermThenRestartReattaches() throws Exception {
        Require.command("virsh");
        Daemon.bundles();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String uri = "jkvm+tcp://127.0.0.1:" + port + "/system";
        Process p = jkvmd(port);
        try {
            awaitReady(p, 1);
            Path xml = dir.resolve("d.xml");
            Files.writeString(xml, Guest.xml("d", "workload=idle"));
            Virsh.run(uri, "define", xml.toString()).ok();
            Virsh.run(uri, "start", "d").ok();
            long pid = Long.parseLong(Files.readString(dir.resolve("run/d.pid")).trim());
            p.destroy();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "jkvmd ends on SIGTERM");
            assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the guest outlives jkvmd");
            Files.writeString(dir.resolve("jkvmd.out"), "");
            p = jkvmd(port);
            awaitReady(p, 1);
            assertEquals("running (booted)", Virsh.run(uri, "domstate", "--reason", "d").ok(),
                    () -> "the restarted daemon said:\n" + read(dir.resolve("jkvmd.out")) + "\nthe engine's log:\n"
                            + read(dir.resolve("log/d.log")));
            Virsh.run(uri, "destroy", "d").ok();
            assertTrue(ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true), "destroy ended the engine");
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
