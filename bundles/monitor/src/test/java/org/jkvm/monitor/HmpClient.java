package org.jkvm.monitor;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.time.Duration;
import org.jkvm.testkit.Await;

/** A human-monitor client for tests: one command line in, the text before the next prompt out. */
final class HmpClient implements AutoCloseable {
    private final SocketChannel ch;
    private final BufferedReader in;
    private final OutputStream out;

    HmpClient(Path socket) throws IOException {
        ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
        out = Channels.newOutputStream(ch);
        in.readLine(); // banner
        readToPrompt();
    }

    /** Opens the engine's HMP socket, waiting for it to appear. */
    static HmpClient of(EngineProcess e) throws IOException {
        e.awaitFile(e.hmpSocket);
        return new HmpClient(e.hmpSocket);
    }

    /** Sends one line and returns the answer, trimmed, with \n line ends ({@code quit} answers nothing). */
    String cmd(String line) throws IOException {
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        return line.equals("quit") ? "" : readToPrompt();
    }

    /** {@code info migrate} as a map of its "name: value" lines (values without units). */
    Map<String, String> infoMigrate() throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        for (String l : cmd("info migrate").split("\n")) {
            int colon = l.indexOf(": ");
            if (colon > 0) {
                m.put(l.substring(0, colon), l.substring(colon + 2).replaceAll(" (ms|kbytes|pages|mbps)$", ""));
            }
        }
        return m;
    }

    /**
     * Polls {@code info migrate} until its status is {@code want} or a final one, and returns that map;
     * {@code timeoutMs} only ends a hang (at least {@link Await#PATIENCE}).
     */
    Map<String, String> awaitMigration(String want, long timeoutMs) {
        return Await.value("info migrate says " + want, Duration.ofMillis(Math.max(timeoutMs,
                Await.PATIENCE.toMillis())), this::infoMigrate, m -> {
                    String s = m.getOrDefault("Migration status", "");
                    return s.equals(want) || s.equals("completed") || s.equals("failed") || s.equals("cancelled");
                });
    }

    private String readToPrompt() throws IOException {
        StringBuilder answer = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            answer.append((char) c);
            if (answer.length() >= Hmp.PROMPT.length() && answer.toString().endsWith(Hmp.PROMPT)) {
                String s = answer.substring(0, answer.length() - Hmp.PROMPT.length());
                return s.replace("\r\n", "\n").strip();
            }
        }
        throw new IOException("HMP connection closed; got: " + answer);
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
