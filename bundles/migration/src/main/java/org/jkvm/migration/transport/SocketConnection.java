package org.jkvm.migration.transport;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;

/** A tcp or unix stream socket: the stream one way, the return path the other way, on one channel. */
final class SocketConnection implements Connection {
    private final SocketChannel channel;
    private final String description;

    SocketConnection(SocketChannel channel, String description) {
        this.channel = channel;
        this.description = description;
        try {
            if (channel.supportedOptions().contains(StandardSocketOptions.TCP_NODELAY)) {
                // The return path sends a few small replies the source waits on: do not delay them.
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
        } catch (IOException e) {
            // Only a latency hint; the connection works without it.
        }
    }

    @Override
    public WritableByteChannel out() {
        return channel;
    }

    @Override
    public ReadableByteChannel in() {
        return channel;
    }

    @Override
    public boolean hasReturnPath() {
        return true;
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // Closing is best effort: the peer sees the connection end either way.
        }
    }
}
