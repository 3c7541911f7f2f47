package org.jkvm.features;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

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

    /** Waits until the heartbeat sequence passes {@code after} by at least two. */
    static long awaitHeartbeats(Path serial, long after, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            long s = lastSeq(serial);
            if (s >= after + 2) {
                return s;
            }
            sleep(50);
        }
        throw new AssertionError("no heartbeats after seq " + after + " in " + serial + " within " + timeout);
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
