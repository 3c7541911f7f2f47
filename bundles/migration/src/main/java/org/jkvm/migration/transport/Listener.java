package org.jkvm.migration.transport;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

import org.jkvm.migration.MigrationException;

/** The destination's waiting end: {@link #accept()} returns the one connection of a migration. */
public sealed interface Listener extends Closeable {
    /**
     * Waits for the source (or starts the exec command).
     *
     * @throws MigrationException when closed meanwhile or the accept fails
     */
    Connection accept();

    /** The bound port for tcp (useful with port 0), else -1. */
    int port();

    /** Stops listening; aborts a blocked {@link #accept()}. Idempotent. */
    @Override
    void close();

    /** tcp or unix. */
    final class SocketListener implements Listener {
        private final ServerSocketChannel server;
        private final MigrationUri uri;
        private final Path socketFile;

        SocketListener(ServerSocketChannel server, MigrationUri uri, Path socketFile) {
            this.server = server;
            this.uri = uri;
            this.socketFile = socketFile;
        }

        @Override
        public Connection accept() {
            try {
                SocketChannel ch = server.accept();
                return new SocketConnection(ch, uri + " (from " + ch.getRemoteAddress() + ")");
            } catch (IOException e) {
                throw new MigrationException("cannot accept the incoming migration on " + uri + ": "
                        + e.getMessage(), e);
            } finally {
                close();
            }
        }

        @Override
        public int port() {
            try {
                return server.getLocalAddress() instanceof InetSocketAddress a ? a.getPort() : -1;
            } catch (IOException e) {
                return -1;
            }
        }

        @Override
        public void close() {
            try {
                server.close();
                if (socketFile != null) {
                    Files.deleteIfExists(socketFile);
                }
            } catch (IOException e) {
                // Best effort: nothing else listens here.
            }
        }
    }

    /** exec: the "connection" is the command's stdout. */
    final class ExecListener implements Listener {
        private final String command;

        ExecListener(String command) {
            this.command = command;
        }

        @Override
        public Connection accept() {
            return ExecConnection.start(command, false);
        }

        @Override
        public int port() {
            return -1;
        }

        @Override
        public void close() {
        }
    }
}
