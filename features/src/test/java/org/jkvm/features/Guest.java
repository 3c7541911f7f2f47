package org.jkvm.features;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.jkvm.testkit.Await;

/** A test guest's definition and its serial output ({@code hb seq=N ...} heartbeat lines). */
final class Guest {
    private Guest() {
    }

    /** A guest of the type this host runs ({@link Backend#domainType()}). */
    static String xml(String name, String cmdline) {
        return xml(Backend.domainType(), name, cmdline);
    }

    /** A guest of domain type {@code type} ({@code kvm} or {@code qemu}). */
    static String xml(String type, String name, String cmdline) {
        return "<domain type='" + type + "'>\n  <name>" + name + "</name>\n  <uuid>" + UUID.randomUUID() + "</uuid>\n"
                + "  <memory unit='MiB'>32</memory>\n  <vcpu>1</vcpu>\n  <os>\n    <type arch='x86_64'>hvm</type>\n"
                + "    <cmdline>" + cmdline + "</cmdline>\n  </os>\n  <devices>\n"
                + "    <serial type='pty'><target port='0'/></serial>\n  </devices>\n</domain>\n";
    }

    /**
     * The last heartbeat sequence number in the serial log, or -1. A line the engine cut when the guest stopped
     * (e.g. {@code "hb seq="} alone, flushed at a migration's pause) is skipped for the complete one before it.
     */
    static long lastSeq(Path serial) {
        try {
            if (!Files.exists(serial)) {
                return -1;
            }
            List<String> lines = Files.readAllLines(serial, StandardCharsets.ISO_8859_1);
            for (int i = lines.size() - 1; i >= 0; i--) {
                String l = lines.get(i);
                int at = l.indexOf("hb seq=");
                if (at >= 0 && l.indexOf(' ', at + 7) > at + 7) {
                    try {
                        return Long.parseLong(l.substring(at + 7, l.indexOf(' ', at + 7)));
                    } catch (NumberFormatException cut) {
                        // not a whole number: look further back
                    }
                }
            }
            return -1;
        } catch (IOException e) {
            return -1;
        }
    }

    /** Waits until the heartbeat sequence passes {@code after} by at least two; {@code timeout} bounds a hang. */
    static long awaitHeartbeats(Path serial, long after, Duration timeout) {
        return Await.value("heartbeats after seq " + after + " in " + serial, timeout, () -> lastSeq(serial),
                s -> s >= after + 2);
    }

    /**
     * The guest's heartbeat period as this host runs it, measured on the running guest: the time from one new
     * heartbeat to the second after it, halved. It depends on the guest (the firmware beats every 500 ms of guest
     * time, the fake engine every 100 ms) and on the backend, so checks of a paused guest use it rather than a
     * fixed time.
     */
    static Duration heartbeatPeriod(Path serial, Duration timeout) {
        long start = lastSeq(serial);
        long first = Await.value("a new heartbeat in " + serial, timeout, () -> lastSeq(serial), s -> s > start);
        long t0 = System.nanoTime();
        long third = Await.value("two more heartbeats in " + serial, timeout, () -> lastSeq(serial),
                s -> s >= first + 2);
        return Duration.ofNanos((System.nanoTime() - t0) / (third - first));
    }

    /**
     * Shows that a paused guest writes no heartbeats: for {@code periods} of its heartbeat periods (measured by
     * {@link #heartbeatPeriod} while it ran) its sequence stays at {@code pausedAt}, or at the one heartbeat that
     * may have been on its way when it paused. This wait is the observation itself, not a synchronisation: nothing
     * can announce that a heartbeat did not come, so the window is as long as several heartbeats would take on
     * this host, which makes a guest that kept running fail it.
     */
    static void assertNoHeartbeats(Path serial, long pausedAt, Duration period, int periods) {
        long deadline = System.nanoTime() + period.toNanos() * periods;
        long now;
        while ((now = System.nanoTime()) < deadline) {
            long seq = lastSeq(serial);
            if (seq > pausedAt + 1) {
                throw new AssertionError("heartbeat " + seq + " while paused at " + pausedAt + " in " + serial);
            }
            try {
                Thread.sleep(Math.min(50, Math.max(1, (deadline - now) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while watching " + serial, e);
            }
        }
        long seq = lastSeq(serial);
        if (seq > pausedAt + 1) {
            throw new AssertionError("heartbeat " + seq + " while paused at " + pausedAt + " in " + serial);
        }
    }
}
