package org.jkvm.monitor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.engine.EngineException;
import org.jkvm.monitor.warmup.EngineWarmUp;
import org.jkvm.posix.Posix;

/**
 * {@code jkvm-engine -standby}: an engine process started ahead of need, so that a management daemon can hand it
 * a command line when a guest must start at once (a migration's Prepare on the destination). The JVM start, the
 * class loading and the native set-up (about 250 ms here) are then behind it; what remains is the VM's own set-up.
 *
 * <p>Protocol ({@code docs/contracts.md}, "Spare engine"): the process warms up ({@link EngineWarmUp#spare()}:
 * builds and discards a small VM that waits for an incoming migration, talking to it once as a QMP client would,
 * and starts the migration warm-up in the background), then reads its standard input to the end. The input is UTF-8
 * text whose fields are separated by NUL bytes: the first field is a file that standard output and standard error are
 * redirected to (appended; empty to keep them), the others are the engine options, exactly as they would follow {@code
 * jkvm-engine} on a command line. Standard input then reads from {@code /dev/null}. An empty input (the daemon went
 * away) ends the process with status 0.
 */
final class Standby {
    /** The most bytes a command line may have (a real one is well under 4 KiB). */
    private static final int MAX_INPUT = 1 << 20;

    private Standby() {
    }

    /**
     * Warms up, then waits for the command line.
     *
     * @param warmUp the process's warm-up
     *
     * @return the engine options, or empty when the input was empty
     * @throws EngineException when the input is malformed or the log file cannot be opened
     */
    static List<String> await(EngineWarmUp warmUp) {
        warmUp.spare();
        byte[] input = readAll(System.in);
        if (input.length == 0) {
            return List.of();
        }
        List<String> fields = split(new String(input, StandardCharsets.UTF_8));
        redirect(fields.get(0));
        return fields.subList(1, fields.size());
    }

    /** The fields of the input; the last one may end with a NUL or not. */
    static List<String> split(String text) {
        String body = text.endsWith("\0") ? text.substring(0, text.length() - 1) : text;
        List<String> fields = new ArrayList<>(List.of(body.split("\0", -1)));
        if (fields.size() < 2) {
            throw new EngineException("the spare engine got no engine options after the log file name; send "
                    + "LOGFILE NUL OPTION NUL OPTION ... on its standard input");
        }
        return fields;
    }

    private static byte[] readAll(InputStream in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                if (out.size() > MAX_INPUT) {
                    throw new EngineException("the spare engine's command line is over " + MAX_INPUT + " bytes; "
                            + "send the options only");
                }
            }
        } catch (IOException e) {
            throw new EngineException("the spare engine cannot read its command line: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /** Points standard output and error at {@code logFile} (and standard input at /dev/null). */
    private static void redirect(String logFile) {
        int in = Posix.open("/dev/null", Posix.O_RDONLY);
        if (in >= 0) {
            Posix.dup2(in, 0);
            Posix.close(in);
        }
        if (logFile.isEmpty()) {
            return;
        }
        System.out.flush();
        System.err.flush();
        try {
            Path p = Path.of(logFile);
            if (!Files.exists(p)) {
                Files.createFile(p);
            }
        } catch (IOException | RuntimeException e) {
            throw new EngineException("the spare engine cannot create its log file " + logFile + ": " + e, e);
        }
        int fd = Posix.open(logFile, Posix.O_WRONLY | Posix.O_APPEND | Posix.O_CLOEXEC);
        if (fd < 0) {
            throw new EngineException("the spare engine cannot open its log file " + logFile + ": "
                    + Posix.strerror(Posix.lastErrno()));
        }
        Posix.dup2(fd, 1);
        Posix.dup2(fd, 2);
        Posix.close(fd);
    }
}
