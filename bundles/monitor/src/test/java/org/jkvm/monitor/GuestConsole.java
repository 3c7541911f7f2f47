package org.jkvm.monitor;

import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jkvm.testkit.Await;

/**
 * A guest's serial console as a person at {@code virsh console} uses it: lines typed into the engine's console
 * socket ({@link EngineProcess#startWithConsole}), answers read from the serial log, which has all output. Each
 * command marks its answer with a fresh token so an answer is never confused with the echo of the typed line.
 */
final class GuestConsole implements AutoCloseable {
    private static final Pattern TV = Pattern.compile("time\\.tv_sec:\\s+(\\d+)\\s+time\\.tv_usec:\\s+(\\d+)");

    private final EngineProcess engine;
    private final SocketChannel channel;
    private final OutputStream out;
    private int tokens;

    private GuestConsole(EngineProcess engine) throws IOException {
        this.engine = engine;
        this.channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(engine.dir.resolve("console.sock")));
        this.out = Channels.newOutputStream(channel);
    }

    static GuestConsole of(EngineProcess engine) throws IOException {
        return new GuestConsole(engine);
    }

    /** Types {@code line} and a newline. */
    void type(String line) throws IOException {
        out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /**
     * Runs a shell command and returns what it printed: the text between two markers the shell computes
     * ({@code $((N+1))}), so neither the typed line's echo nor kernel messages before it are taken for the answer.
     */
    String run(String command) throws IOException {
        int t = ++tokens * 1000;
        String begin = "<<" + (t + 1) + ">>";
        String end = "<<" + (t + 2) + ">>";
        int from = engine.serialText().length();
        type("echo \"<<$((" + t + "+1))>>\"; " + command + "; echo \"<<$((" + t + "+2))>>\"");
        String text;
        try {
            text = Await.value("the guest's shell answers '" + command + "'", Duration.ofMinutes(2), () -> {
                if (!engine.process.isAlive()) {
                    throw new AssertionError("the engine ended; stderr: " + engine.stderr());
                }
                return engine.serialText().substring(from);
            }, s -> s.contains(end + "\r\n") || s.contains(end + "\n"));
        } catch (AssertionError e) {
            e.addSuppressed(new AssertionError("what the vCPUs were doing: " + cpuSamples()));
            throw e;
        }
        int b = text.indexOf(begin + "\r\n");
        b = b < 0 ? text.indexOf(begin) + begin.length() : b + begin.length() + 2;
        return text.substring(b, text.indexOf(end)).replace("\r", "");
    }

    /**
     * Twenty samples of the vCPUs' RIP and halted state, 50 ms apart, for a failure message: whether a guest that
     * stopped answering idles, spins in its kernel (RIP at 0xffff...) or in a user program.
     */
    private String cpuSamples() {
        StringBuilder b = new StringBuilder();
        try (EngineProcess.QmpClient q = engine.qmp()) {
            q.execute("{\"execute\": \"qmp_capabilities\"}");
            for (int i = 0; i < 20; i++) {
                Object r = q.execute("{\"execute\": \"human-monitor-command\", \"arguments\": "
                        + "{\"command-line\": \"info cpus\"}}").get("return");
                b.append('\n').append(String.valueOf(r).strip());
                Thread.sleep(50);
            }
        } catch (IOException | RuntimeException e) {
            b.append(" (sampling failed: ").append(e).append(')');
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return b.toString();
    }

    /**
     * The guest's wall clock minus the host's, in milliseconds: busybox {@code adjtimex} prints the guest's
     * CLOCK_REALTIME in microseconds, the host's clock is read when the answer has arrived (the console's delay
     * makes the guest look behind by a few tens of milliseconds, the same before and after a migration).
     */
    long wallClockOffsetMs() throws IOException {
        String answer = run("adjtimex | grep 'time.tv_'");
        long host = System.currentTimeMillis();
        Matcher m = TV.matcher(answer);
        if (!m.find()) {
            throw new AssertionError("adjtimex printed no time: " + answer);
        }
        long guest = Long.parseLong(m.group(1)) * 1000 + Long.parseLong(m.group(2)) / 1000;
        return guest - host;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
