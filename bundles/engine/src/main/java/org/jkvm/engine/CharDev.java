package org.jkvm.engine;

import java.nio.file.Path;

/**
 * A character-device backend, as given to {@code -serial} and {@code -monitor} in QEMU's spelling.
 *
 * <ul>
 * <li>{@code file:PATH[,append=on]} → {@link FileDev} (serial only; {@code append=on}, as QEMU's {@code -chardev
 * file}, keeps what the file holds instead of truncating it)</li>
 * <li>{@code unix:PATH,server[,nowait][,logfile=LOG[,logappend=on]]} → {@link UnixDev} (we always listen;
 * {@code wait} blocks start-up until a client connects; {@code logfile}, as QEMU's {@code -chardev} option, also
 * writes everything the guest sends to a file, whether or not a client is connected: a console to type into and
 * a log, for {@code -serial} only)</li>
 * <li>{@code stdio} → {@link Stdio}</li>
 * <li>{@code null}/{@code none} → {@link Null}</li>
 * </ul>
 */
public sealed interface CharDev {
    /**
     * Output written to a file, created if missing.
     *
     * @param path   the file
     * @param append keep what the file holds and write after it (else it is truncated at start)
     */
    record FileDev(Path path, boolean append) implements CharDev {
        /** A file truncated at start, as QEMU's {@code -serial file:PATH}. */
        public FileDev(Path path) {
            this(path, false);
        }

        @Override
        public String toString() {
            return "file:" + path + (append ? ",append=on" : "");
        }
    }

    /**
     * A listening unix socket.
     *
     * @param path          the socket path (an existing socket file is replaced)
     * @param server        always true: only the server role is supported
     * @param waitForClient whether start-up waits for the first client ({@code nowait} clears it)
     * @param logfile       a file that also gets all output ({@code logfile=}), or null
     * @param logAppend     keep what the log file holds ({@code logappend=on}) instead of truncating it
     */
    record UnixDev(Path path, boolean server, boolean waitForClient, Path logfile, boolean logAppend)
            implements CharDev {
        /** A socket without a log file. */
        public UnixDev(Path path, boolean server, boolean waitForClient) {
            this(path, server, waitForClient, null, false);
        }

        @Override
        public String toString() {
            return "unix:" + path + ",server" + (waitForClient ? "" : ",nowait")
                    + (logfile == null ? "" : ",logfile=" + logfile + (logAppend ? ",logappend=on" : ""));
        }
    }

    /** The engine's standard input and output. */
    record Stdio() implements CharDev {
        @Override
        public String toString() {
            return "stdio";
        }
    }

    /** Output dropped, no input. */
    record Null() implements CharDev {
        @Override
        public String toString() {
            return "null";
        }
    }

    /**
     * Parses a QEMU-style backend spec.
     *
     * @param option    the option name for messages, e.g. {@code -serial}
     * @param spec      the value
     * @param allowFile whether {@code file:} makes sense for this option
     * @throws EngineException naming the option and the supported forms
     */
    static CharDev parse(String option, String spec, boolean allowFile) {
        String forms = (allowFile ? "file:PATH[,append=on], unix:PATH,server[,nowait][,logfile=LOG[,logappend=on]]"
                : "unix:PATH,server[,nowait]") + ", stdio or null";
        if (spec.equals("stdio")) {
            return new Stdio();
        }
        if (spec.equals("null") || spec.equals("none")) {
            return new Null();
        }
        if (allowFile && spec.startsWith("file:") && spec.length() > 5) {
            String path = spec.substring(5);
            boolean append = path.endsWith(",append=on");
            if (append || path.endsWith(",append=off")) {
                path = path.substring(0, path.lastIndexOf(','));
            }
            if (path.isEmpty()) {
                throw new EngineException(option + " " + spec + " has no file path; use " + forms);
            }
            return new FileDev(Path.of(path), append);
        }
        if (spec.startsWith("unix:")) {
            String[] parts = spec.substring(5).split(",");
            if (parts[0].isEmpty()) {
                throw new EngineException(option + " " + spec + " has no socket path; use " + forms);
            }
            boolean server = false;
            boolean wait = true;
            Path log = null;
            boolean logAppend = false;
            for (int i = 1; i < parts.length; i++) {
                String p = parts[i];
                if (allowFile && p.startsWith("logfile=") && p.length() > 8) {
                    log = Path.of(p.substring(8));
                    continue;
                }
                switch (p) {
                    case "server", "server=on" -> server = true;
                    case "nowait", "wait=off" -> wait = false;
                    case "wait", "wait=on" -> wait = true;
                    case "logappend=on" -> logAppend = allowFile;
                    case "logappend=off" -> logAppend = false;
                    default -> throw new EngineException(option + " " + spec + " has the unknown flag '"
                            + p + "'; use " + forms);
                }
            }
            if (!server) {
                throw new EngineException(option + " " + spec + " must listen: add ',server' (connecting to a "
                        + "socket is not supported)");
            }
            return new UnixDev(Path.of(parts[0]), true, wait, log, logAppend);
        }
        throw new EngineException("unsupported " + option + " backend '" + spec + "'; use " + forms);
    }
}
