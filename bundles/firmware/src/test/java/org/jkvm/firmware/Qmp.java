package org.jkvm.firmware;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.jkvm.testkit.UnixSockets;

/** A minimal QMP client for QEMU (test helper): one command at a time, events skipped, JSON kept as text. */
final class Qmp implements AutoCloseable {
    private final SocketChannel channel;
    private final BufferedReader in;
    private final Writer out;

    private Qmp(SocketChannel channel) throws IOException {
        this.channel = channel;
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        this.out = Channels.newWriter(channel, StandardCharsets.UTF_8);
        in.readLine();   // greeting
        execute("{\"execute\":\"qmp_capabilities\"}");
    }

    /** Connects to QEMU's {@code -qmp unix:PATH,server,nowait}, waiting for the socket to appear. */
    static Qmp connect(Path socket) throws IOException {
        return new Qmp(UnixSockets.connectWhenListening(socket, "QEMU's QMP socket"));
    }

    /** Sends one command (a JSON object) and returns the response line, skipping events. */
    String execute(String json) throws IOException {
        out.write(json + "\n");
        out.flush();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (!line.contains("\"event\"")) {
                return line;
            }
        }
        throw new IOException("QEMU closed the QMP socket while a command was pending");
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
