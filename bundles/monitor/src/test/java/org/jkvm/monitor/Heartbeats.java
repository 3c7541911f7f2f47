package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks on the firmware's {@code verify} heartbeats across a migration: the destination's {@code seq} continues
 * the source's with no gap, guest time jumps by no more than a period plus the downtime, and no line reports an
 * error (a lost page or a TSC step).
 */
final class Heartbeats {
    private static final Pattern LINE = Pattern.compile(
            "^hb seq=(\\d+) ms=(\\d+) pages=\\d+ gen=\\d+ errors=(\\d+) .*verify_bad=(\\d+)( .*)?$", Pattern.MULTILINE);
    /** Scheduling slack on this shared host (2 cores, several JVMs), in guest milliseconds. */
    private static final long SLACK_MS = 1500;

    private Heartbeats() {
    }

    /** One heartbeat: seq, guest ms, errors, verify_bad. */
    record Hb(int seq, long ms, int errors, int verifyBad) {
    }

    static List<Hb> parse(String serial) {
        List<Hb> out = new ArrayList<>();
        Matcher m = LINE.matcher(serial);
        while (m.find()) {
            out.add(new Hb(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)), Integer.parseInt(m.group(3)),
                    Integer.parseInt(m.group(4))));
        }
        return out;
    }

    /** No heartbeat in the text reports an error, and the firmware printed no fw-error. */
    static void assertNoErrors(String what, String serial) {
        assertFalse(serial.contains("fw-error"), what + ": " + serial);
        for (Hb h : parse(serial)) {
            assertTrue(h.errors() == 0 && h.verifyBad() == 0, what + " reports errors at seq " + h.seq() + ": "
                    + serial);
        }
    }

    /**
     * Waits for {@code n} heartbeats on {@code to} and checks that they continue {@code fromSerial} (the source's
     * serial text, or the text the saved guest had written): the serial byte stream goes on where it stopped (a
     * line the source had begun is finished by the destination), the seq numbers stay consecutive, guest time
     * moves by at most a period plus {@code downtimeMs} and slack, and errors=0 everywhere.
     */
    static void assertContinues(String fromSerial, EngineProcess to, int n, long hbMs, long downtimeMs)
            throws IOException {
        to.awaitHeartbeats(n, 60_000);
        check(fromSerial, to.serialText(), n, hbMs, downtimeMs);
    }

    /**
     * As {@link #assertContinues(String, EngineProcess, int, long, long)} with a live source, whose serial file is
     * read only once the destination has written its heartbeats: the source's serial writer may still be flushing
     * the line it had begun when the migration ended.
     */
    static void assertContinues(EngineProcess from, EngineProcess to, int n, long hbMs, long downtimeMs)
            throws IOException {
        to.awaitHeartbeats(n, 60_000);
        check(from.serialText(), to.serialText(), n, hbMs, downtimeMs);
    }

    private static void check(String fromSerial, String text, int n, long hbMs, long downtimeMs) {
        List<Hb> before = parse(fromSerial);
        assertFalse(before.isEmpty(), "the source wrote heartbeats: " + fromSerial);
        List<Hb> all = parse(fromSerial + text);
        assertTrue(all.size() >= before.size() + n - 1, "the destination's lines join the source's: source "
                + before.get(before.size() - 1) + ", destination wrote:\n" + text);
        for (int i = 1; i < all.size(); i++) {
            assertEquals(all.get(i - 1).seq() + 1, all.get(i).seq(), "consecutive seq across the migration: "
                    + "source ended at " + before.get(before.size() - 1) + ", destination wrote:\n" + text);
        }
        long jump = all.get(before.size()).ms() - all.get(before.size() - 1).ms();
        assertTrue(jump > 0 && jump <= 2 * hbMs + downtimeMs + SLACK_MS, "guest time jumps by " + jump
                + " ms across the migration (period " + hbMs + " ms, downtime " + downtimeMs + " ms): " + text);
        assertNoErrors("destination", text);
        assertNoErrors("source", fromSerial);
    }
}
