package org.jkvm.migration.transport;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code exec:COMMAND} run by {@code /bin/sh -c}. The source writes the stream to the command's stdin (its stdout
 * is discarded); the destination reads the stream from the command's stdout (its stdin is the engine's, so
 * {@code gzip -d F | engine -incoming exec:cat} works). The command's stderr is logged and its last lines go into
 * error messages. There is no return path: see {@code docs/migration-stream.md} for how completion is decided.
 */
final class ExecConnection implements Connection {
    private static final Logger LOG = LoggerFactory.getLogger(ExecConnection.class);
    private static final int STDERR_TAIL = 1024;

    private final String command;
    private final Process process;
    private final WritableByteChannel out;
    private final ReadableByteChannel in;
    private final StringBuilder stderrTail = new StringBuilder();

    private ExecConnection(String command, Process process, boolean source) {
        this.command = command;
        this.process = process;
        this.out = source ? Channels.newChannel(process.getOutputStream()) : null;
        this.in = source ? null : Channels.newChannel(process.getInputStream());
        Thread drain = new Thread(() -> drainStderr(process.getErrorStream()), "migration-exec-stderr");
        drain.setDaemon(true);
        drain.start();
    }

    /** Starts {@code command} as the source's sink or the destination's source of the stream. */
    static ExecConnection start(String command, boolean source) {
        ProcessBuilder pb = new ProcessBuilder(List.of("/bin/sh", "-c", command));
        if (source) {
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        } else {
            pb.redirectInput(ProcessBuilder.Redirect.INHERIT);
        }
        try {
            return new ExecConnection(command, pb.start(), source);
        } catch (IOException e) {
            throw new org.jkvm.migration.MigrationException("cannot start migration command '" + command
                    + "' with /bin/sh: " + e.getMessage() + "; check that /bin/sh exists", e);
        }
    }

    @Override
    public WritableByteChannel out() {
        return out;
    }

    @Override
    public ReadableByteChannel in() {
        return in;
    }

    @Override
    public boolean hasReturnPath() {
        return false;
    }

    @Override
    public void finishSending(long timeoutMs) throws IOException {
        out.close();
        try {
            if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
                throw new IOException("migration command '" + command + "' did not exit within " + timeoutMs
                        + " ms after the stream ended");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for migration command '" + command + "'", e);
        }
        int status = process.exitValue();
        if (status != 0) {
            throw new org.jkvm.migration.MigrationException("migration command '" + command + "' exited with status "
                    + status + stderr() + "; check the command");
        }
    }

    /** The exit status, or -1 while it still runs. */
    int exitStatus() {
        return process.isAlive() ? -1 : process.exitValue();
    }

    /** {@code ", stderr: <last stderr lines>"} or empty. */
    String stderr() {
        synchronized (stderrTail) {
            String s = stderrTail.toString().strip();
            return s.isEmpty() ? "" : ", stderr: " + s.replace('\n', ' ');
        }
    }

    @Override
    public String diagnostics() {
        try {
            // Give a dying command a moment to exit, so its status and last words make it into the message.
            process.waitFor(200, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String status = process.isAlive() ? "still running" : "exit status " + process.exitValue();
        return " (command " + status + stderr() + ")";
    }

    @Override
    public String describe() {
        return "exec:" + command;
    }

    @Override
    public void close() {
        try {
            if (out != null) {
                out.close();
            }
            if (in != null) {
                in.close();
            }
        } catch (IOException e) {
            // Best effort: the process is reaped below either way.
        }
        try {
            if (!process.waitFor(1, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private void drainStderr(InputStream err) {
        byte[] buf = new byte[512];
        try (err) {
            int n;
            while ((n = err.read(buf)) > 0) {
                String text = new String(buf, 0, n, StandardCharsets.UTF_8);
                LOG.warn("migration command '{}' stderr: {}", command, text.strip());
                synchronized (stderrTail) {
                    stderrTail.append(text);
                    if (stderrTail.length() > STDERR_TAIL) {
                        stderrTail.delete(0, stderrTail.length() - STDERR_TAIL);
                    }
                }
            }
        } catch (IOException e) {
            // The process ended; nothing more to read.
        }
    }
}
