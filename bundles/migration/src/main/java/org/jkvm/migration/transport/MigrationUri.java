package org.jkvm.migration.transport;

import java.nio.file.Path;

import org.jkvm.migration.MigrationException;

/**
 * A migration URI, as the monitor's {@code migrate} and {@code -incoming} take it (the seed's syntax).
 *
 * <ul>
 *   <li>{@code tcp:HOST:PORT}; on the destination {@code tcp:0:4444} (or {@code tcp::4444}) listens on all
 *       addresses; IPv6 hosts go in brackets: {@code tcp:[::1]:4444}</li>
 *   <li>{@code unix:PATH}</li>
 *   <li>{@code exec:COMMAND}, run by {@code /bin/sh -c}; leading blanks are ignored ({@code "exec: cat"})</li>
 * </ul>
 */
public sealed interface MigrationUri {
    /** Whether the transport carries a return path from the destination to the source. */
    boolean hasReturnPath();

    /** A TCP endpoint. */
    record Tcp(String host, int port) implements MigrationUri {
        @Override
        public boolean hasReturnPath() {
            return true;
        }

        /** Whether the host means "every local address" ({@code 0}, {@code 0.0.0.0}, empty, {@code ::}). */
        public boolean anyHost() {
            return host.isEmpty() || host.equals("0") || host.equals("0.0.0.0") || host.equals("::");
        }

        @Override
        public String toString() {
            return "tcp:" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /** A unix-domain stream socket. */
    record Unix(Path path) implements MigrationUri {
        @Override
        public boolean hasReturnPath() {
            return true;
        }

        @Override
        public String toString() {
            return "unix:" + path;
        }
    }

    /** A shell command: the source writes the stream to its stdin, the destination reads it from its stdout. */
    record Exec(String command) implements MigrationUri {
        @Override
        public boolean hasReturnPath() {
            return false;
        }

        @Override
        public String toString() {
            return "exec:" + command;
        }
    }

    /**
     * Parses a URI.
     *
     * @throws MigrationException naming the URI and the accepted forms
     */
    static MigrationUri parse(String uri) {
        if (uri == null) {
            throw bad("null", "no URI was given");
        }
        String u = uri.strip();
        if (u.startsWith("tcp:")) {
            return parseTcp(uri, u.substring(4));
        }
        if (u.startsWith("unix:")) {
            String path = u.substring(5).strip();
            if (path.isEmpty()) {
                throw bad(uri, "the socket path is empty");
            }
            return new Unix(Path.of(path));
        }
        if (u.startsWith("exec:")) {
            String cmd = u.substring(5).strip();
            if (cmd.isEmpty()) {
                throw bad(uri, "the command is empty");
            }
            return new Exec(cmd);
        }
        throw bad(uri, "the scheme is not tcp:, unix: or exec:");
    }

    private static Tcp parseTcp(String uri, String rest) {
        String host;
        String port;
        if (rest.startsWith("[")) {
            int close = rest.indexOf(']');
            if (close < 0 || close + 1 >= rest.length() || rest.charAt(close + 1) != ':') {
                throw bad(uri, "an IPv6 host must be written [ADDR]:PORT");
            }
            host = rest.substring(1, close);
            port = rest.substring(close + 2);
        } else {
            int colon = rest.lastIndexOf(':');
            if (colon < 0) {
                throw bad(uri, "the port is missing");
            }
            host = rest.substring(0, colon);
            port = rest.substring(colon + 1);
        }
        int p;
        try {
            p = Integer.parseInt(port.strip());
        } catch (NumberFormatException e) {
            throw bad(uri, "the port '" + port + "' is not a number");
        }
        if (p < 0 || p > 65535) {
            throw bad(uri, "the port " + p + " is outside 0..65535");
        }
        return new Tcp(host.strip(), p);
    }

    private static MigrationException bad(String uri, String why) {
        return new MigrationException("migration URI '" + uri + "' is invalid: " + why
                + "; use tcp:HOST:PORT, unix:PATH or exec:COMMAND");
    }
}
