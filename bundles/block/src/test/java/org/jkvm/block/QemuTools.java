package org.jkvm.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jkvm.testkit.Require;

/** QEMU's image tools (Debian's qemu-utils) as the tests' oracle: run, capture, check. */
final class QemuTools {
    private static final Pattern FIELD = Pattern.compile("\"(check-errors|corruptions|leaks)\"\\s*:\\s*(\\d+)");

    private QemuTools() {
    }

    /** A finished command: exit status and everything it printed. */
    record Result(int exit, String output) {
    }

    /** Requires qemu-img and qemu-io (skips, or fails under CI, without them). */
    static void require() {
        Require.command("qemu-img");
        Require.command("qemu-io");
    }

    /** Runs a command to its end, stdout and stderr together. */
    static Result exec(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Result(p.waitFor(), out);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + cmd + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + cmd, e);
        }
    }

    /** Runs a command that must succeed; returns its output. */
    static String run(String... cmd) {
        Result r = exec(List.of(cmd));
        assertEquals(0, r.exit(), String.join(" ", cmd) + " failed: " + r.output());
        return r.output();
    }

    /** qemu-io with several -c commands on one image (format given, so nothing is probed). */
    static String io(Path image, String format, String... commands) {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", format));
        for (String c : commands) {
            cmd.add("-c");
            cmd.add(c);
        }
        cmd.add(image.toString());
        Result r = exec(cmd);
        assertEquals(0, r.exit(), "qemu-io " + commands[0] + " ... on " + image + ": " + r.output());
        assertTrue(!r.output().contains("error") && !r.output().contains("failed"), r.output());
        return r.output();
    }

    /** The counts {@code qemu-img check} reports: [check-errors, corruptions, leaks], and its exit status. */
    static long[] check(Path image) {
        Result r = exec(List.of("qemu-img", "check", "--output=json", "-f", "qcow2", image.toString()));
        long[] counts = new long[4];
        Matcher m = FIELD.matcher(r.output());
        while (m.find()) {
            int i = switch (m.group(1)) {
                case "check-errors" -> 0;
                case "corruptions" -> 1;
                default -> 2;
            };
            counts[i] = Long.parseLong(m.group(2));
        }
        counts[3] = r.exit();
        assertTrue(r.output().contains("\"check-errors\""), "qemu-img check printed no JSON: " + r.output());
        return counts;
    }

    /** Requires {@code qemu-img check} to find no error, no corruption and no leak. */
    static void assertClean(Path image) {
        long[] c = check(image);
        assertEquals(0, c[0] + c[1] + c[2] + c[3], "qemu-img check " + image + ": errors=" + c[0] + " corruptions="
                + c[1] + " leaks=" + c[2] + " exit=" + c[3] + "\n" + exec(List.of("qemu-img", "check", "-f", "qcow2",
                image.toString())).output());
    }

    /** Requires {@code qemu-img check} to find no error and no corruption (leaked clusters allowed). */
    static void assertConsistent(Path image) {
        long[] c = check(image);
        assertEquals(0, c[0] + c[1], "qemu-img check " + image + ": errors=" + c[0] + " corruptions=" + c[1]
                + "\n" + exec(List.of("qemu-img", "check", "-f", "qcow2", image.toString())).output());
        assertTrue(c[3] == 0 || c[3] == 3, "qemu-img check exit " + c[3]);
    }

    /** Requires {@code qemu-img compare} to call the qcow2 image and the raw file identical. */
    static void assertSameContent(Path qcow2, Path raw) {
        Result r = exec(List.of("qemu-img", "compare", "-f", "qcow2", "-F", "raw", qcow2.toString(), raw.toString()));
        assertEquals(0, r.exit(), "qemu-img compare " + qcow2 + " " + raw + ": " + r.output());
    }
}
