package org.jkvm.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.jkvm.testkit.RepoPaths;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 6, acceptance item 6: {@code bin/jkvm-demo} run as a user runs it. It starts two hosts, migrates a guest live
 * from A to B with virsh's progress bar, prints the figures and the proof, and cleans up. The test reads the proof
 * lines itself (the heartbeat sequence continues on B, no heartbeat with errors, B running the guest) and checks
 * that no network namespace and no process of the run is left. A second run has the firmware corrupt one page on
 * purpose ({@code --inject page}), on loopback addresses instead of namespaces: the demo must then fail, and still
 * clean up.
 */
class DemoScriptTest {
    /** The demo's own waits are three times as long on the software CPU. */
    private static final Duration TIMEOUT = Duration.ofMinutes(Backend.KVM.usable() ? 3 : 9);
    private static final String SOFT_CPU = "the guest is a type='qemu' domain on jkvm's software CPU";
    private static final Pattern NAMESPACE = Pattern.compile("network namespace (jkdemo[0-9]+[ab])");
    private static final Pattern CONTINUES =
            Pattern.compile("\\[ok] +the sequence continues: A's last heartbeat was seq=(\\d+), B's first seq=(\\d+)");

    @TempDir
    Path dir;

    @BeforeEach
    void require() {
        Require.root();
        Backend.requireGuests();
        Require.command("virsh");
        Require.command("ip");
        Require.path(RepoPaths.of("bin", "jkvm-demo"), "the demo script is part of the repository");
        Daemon.bundles();
    }

    @Test
    void migratesLiveBetweenTwoNamespacedHostsAndProvesTheMemoryArrived() throws Exception {
        Path state = dir.resolve("hosts");
        Run run = demo(state);
        String out = run.output;
        assertEquals(0, run.status, out);
        assertEquals(!Backend.KVM.usable(), out.contains(SOFT_CPU), "the demo runs on the backend this host has ("
                + Backend.KVM + "): " + out);

        List<String> namespaces = namespaces(out);
        assertEquals(2, namespaces.size(), "two hosts in network namespaces of their own: " + out);
        assertTrue(out.contains("Migration: [100 %]"), "virsh's progress bar reached 100 %: " + out);
        for (String figure : List.of("total time", "downtime", "data processed", "rate", "iterations")) {
            assertTrue(out.lines().anyMatch(l -> l.startsWith("  " + figure + " ") && l.matches(".*\\d.*")),
                    "the figures show " + figure + ": " + out);
        }

        Matcher m = CONTINUES.matcher(out);
        assertTrue(m.find(), "the proof says the heartbeat sequence continues: " + out);
        assertEquals(Long.parseLong(m.group(1)) + 1, Long.parseLong(m.group(2)),
                "B's first heartbeat follows A's last");
        String lastOnA = line(out, "last heartbeat on A:");
        String firstOnB = line(out, "first heartbeat on B:");
        String latestOnB = line(out, "latest heartbeat on B:");
        for (String hb : List.of(lastOnA, firstOnB, latestOnB)) {
            assertTrue(hb.contains(" errors=0 ") && hb.endsWith(" verify_bad=0"), "a heartbeat without errors: " + hb);
        }
        assertTrue(number(latestOnB, "pages") > number(lastOnA, "pages"), "the guest keeps writing on B: " + out);
        assertTrue(out.contains("[ok]   heartbeats with errors other than 0: 0 of "), out);
        assertTrue(out.contains("[ok]   domain state on B: running (migrated)"), out);
        assertTrue(out.contains("[ok]   domain state on A: shut off (migrated)"), out);
        assertFalse(out.contains("[FAIL]"), out);
        assertTrue(out.contains("jkvm-demo: PASS: guest 'demo' migrated live from A to B"), out);
        serialLogsProveIt(state);

        assertNothingLeft(state, namespaces);
    }

    @Test
    void aCorruptedPageFailsTheProofAndStillCleansUp() throws Exception {
        Path state = dir.resolve("hosts");
        Run run = demo(state, "--no-netns", "--inject", "page");
        String out = run.output;
        assertEquals(1, run.status, out);
        assertTrue(out.contains("host A: 127.0.0.2; host B: 127.0.0.3"), out);
        assertTrue(out.contains("Migration: [100 %]"), "the migration itself worked: " + out);
        assertTrue(out.contains("[FAIL] heartbeats with errors other than 0:"), out);
        assertTrue(out.contains("jkvm-demo: FAILED: the proof does not hold"), out);
        assertFalse(out.contains("PASS"), out);
        AssertionError corrupt = assertThrows(AssertionError.class, () -> serialLogsProveIt(state));
        assertTrue(corrupt.getMessage().contains("no errors"), corrupt.getMessage());
        assertNothingLeft(state, List.of());
    }

    /** The output and exit status of one demo run. */
    private record Run(int status, String output) {
    }

    private Run demo(Path state, String... options) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(RepoPaths.of("bin", "jkvm-demo").toString(), "--dir",
                state.toString()));
        cmd.addAll(List.of(options));
        Path log = dir.resolve("demo.out");
        long start = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        p.getOutputStream().close();
        if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            // SIGTERM first: the demo's trap then destroys the guest, stops the daemons and deletes the namespaces.
            p.destroy();
            if (!p.waitFor(90, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
            throw new AssertionError("bin/jkvm-demo did not finish within " + TIMEOUT + ": " + read(log));
        }
        String out = read(log);
        System.out.printf("[jkvm] bin/jkvm-demo %s: exit %d after %d ms%n", String.join(" ", options),
                p.exitValue(), (System.nanoTime() - start) / 1_000_000);
        return new Run(p.exitValue(), out);
    }

    /**
     * The same proof read from the serial logs the run kept (with --dir the demo leaves its folder), not from the
     * demo's own words: A's log followed by B's is the guest's whole output; every complete heartbeat line follows
     * the one before from seq=0 on, none has errors, and at least four ended on B.
     */
    private static void serialLogsProveIt(Path state) throws IOException {
        byte[] a = Files.readAllBytes(state.resolve("a/log/demo.serial"));
        byte[] b = Files.readAllBytes(state.resolve("b/log/demo.serial"));
        String all = new String(a, StandardCharsets.ISO_8859_1) + new String(b, StandardCharsets.ISO_8859_1);
        long expected = 0;
        int onB = 0;
        int end = 0;
        for (int nl = all.indexOf('\n'); nl >= 0; end = nl + 1, nl = all.indexOf('\n', end)) {
            String line = all.substring(end, nl);
            if (!line.startsWith("hb seq=")) {
                continue;
            }
            assertEquals(expected++, number(line, "seq"), "heartbeats follow each other: " + line);
            assertEquals(0, number(line, "errors"), "no errors: " + line);
            assertEquals(0, number(line, "verify_bad"), "no bad page: " + line);
            if (nl >= a.length) {
                onB++;
            }
        }
        assertTrue(onB >= 4 && expected > onB, "heartbeats on A and at least four on B: " + expected + " in all, "
                + onB + " on B");
    }

    /**
     * No namespace of the run in {@code ip netns list}; no process whose command line names its state folder
     * ({@code pgrep -f}), and none with a file open in it (engines: a daemon's spare engine, which takes over a
     * guest, does not name the folder on its command line, but its log and the guest's serial log are open there).
     */
    private static void assertNothingLeft(Path state, List<String> namespaces) throws Exception {
        String netns = command("ip", "netns", "list");
        for (String ns : namespaces) {
            assertFalse(netns.contains(ns), "namespace " + ns + " was deleted: " + netns);
        }
        assertEquals("", command("pgrep", "-a", "-f", state.toString()), "no daemon of the demo is left running");
        List<String> holding = new ArrayList<>();
        ProcessHandle.allProcesses().filter(p -> holdsFileIn(p.pid(), state))
                .forEach(p -> holding.add(p.pid() + " " + p.info().commandLine().orElse("?")));
        assertEquals(List.of(), holding, "no process of the demo (daemon or engine) is left with a file open in "
                + state);
    }

    private static boolean holdsFileIn(long pid, Path state) {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return fds.anyMatch(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith(state + "/");
                } catch (IOException | UnsupportedOperationException gone) {
                    return false;
                }
            });
        } catch (IOException | UncheckedIOException gone) {
            return false;
        }
    }

    private static String command(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", cmd) + " did not finish");
        return out;
    }

    private static List<String> namespaces(String out) {
        List<String> names = new ArrayList<>();
        Matcher m = NAMESPACE.matcher(out);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** The rest of the output line that starts (after indentation) with {@code label}. */
    private static String line(String out, String label) {
        return out.lines().map(String::strip).filter(l -> l.startsWith(label)).findFirst()
                .map(l -> l.substring(label.length()).strip())
                .orElseThrow(() -> new AssertionError("no line '" + label + "' in: " + out));
    }

    private static long number(String heartbeat, String key) {
        Matcher m = Pattern.compile(" " + key + "=(\\d+)").matcher(" " + heartbeat);
        assertTrue(m.find(), key + " in " + heartbeat);
        return Long.parseLong(m.group(1));
    }

    private static String read(Path log) throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }
}
