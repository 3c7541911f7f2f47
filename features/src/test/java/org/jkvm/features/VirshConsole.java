package org.jkvm.features;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.jkvm.testkit.Await;
import org.jkvm.testkit.Require;

/**
 * A {@code virsh console} session as a user has it: the real virsh under {@code script(1)}, which gives it the
 * terminal it insists on; what the console shows is collected, keys are typed through the terminal. Not thread-safe
 * (one test thread types and reads).
 */
final class VirshConsole implements AutoCloseable {
    private final Process process;
    private final OutputStream keys;
    private final ByteArrayOutputStream seen = new ByteArrayOutputStream();
    private final Thread reader;

    private VirshConsole(Process process) {
        this.process = process;
        this.keys = process.getOutputStream();
        this.reader = new Thread(this::collect, "virsh-console-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Opens the console of domain {@code name} and waits until virsh says it is connected. */
    static VirshConsole open(String uri, String name) throws IOException {
        return open(uri, name, false);
    }

    /**
     * Runs {@code virsh console [--force] NAME} and waits until virsh says it is connecting (it says so before the
     * daemon has answered: a refused session ends with virsh's error, see {@link #awaitEnd}).
     */
    static VirshConsole open(String uri, String name, boolean force) throws IOException {
        Path script = Require.command("script");
        ProcessBuilder pb = new ProcessBuilder(script.toString(), "-qfec",
                Require.command("virsh") + " -c '" + uri + "' console " + (force ? "--force " : "") + name,
                "/dev/null");
        pb.environment().remove("LIBVIRT_DEFAULT_URI");
        pb.redirectErrorStream(true);
        VirshConsole c = new VirshConsole(pb.start());
        Await.until("virsh console connected to " + name, () -> c.text().contains("Escape character"));
        return c;
    }

    private void collect() {
        byte[] buf = new byte[4096];
        try (InputStream in = process.getInputStream()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                synchronized (seen) {
                    seen.write(buf, 0, n);
                }
            }
        } catch (IOException e) {
            // virsh ended
        }
    }

    /** Types {@code text} (ASCII) on the console's terminal. */
    void type(String text) throws IOException {
        keys.write(text.getBytes(StandardCharsets.US_ASCII));
        keys.flush();
    }

    /** Everything the console has shown so far. */
    String text() {
        synchronized (seen) {
            return seen.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** Waits for virsh to end (the domain stopped); false if it had not after {@code seconds}. */
    boolean awaitEnd(long seconds) throws InterruptedException {
        boolean ended = process.waitFor(seconds, TimeUnit.SECONDS);
        if (ended) {
            reader.join();
        }
        return ended;
    }

    @Override
    public void close() throws IOException {
        keys.close();
        process.destroyForcibly();
    }
}
