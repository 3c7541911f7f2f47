package org.jkvm.migration.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.attribute.BasicFileAttributes;

import org.jkvm.migration.MigrationException;

/** Opens migration channels: the source connects, the destination listens (or starts the exec command). */
public final class Transports {
    private Transports() {
    }

    /**
     * Source side: connects to {@code uri} (or starts the exec command).
     *
     * @throws MigrationException naming the URI and the reason, e.g. nobody listening
     */
    public static Connection connect(MigrationUri uri, int timeoutMs) {
        try {
            if (uri instanceof MigrationUri.Tcp tcp) {
                SocketChannel ch = SocketChannel.open();
                String host = tcp.anyHost() ? "127.0.0.1" : tcp.host();
                ch.socket().connect(new InetSocketAddress(host, tcp.port()), timeoutMs);
                return new SocketConnection(ch, uri.toString());
            } else if (uri instanceof MigrationUri.Unix unix) {
                SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                ch.connect(UnixDomainSocketAddress.of(unix.path()));
                return new SocketConnection(ch, uri.toString());
            }
            return ExecConnection.start(((MigrationUri.Exec) uri).command(), true);
        } catch (IOException e) {
            throw new MigrationException("cannot connect to " + uri + ": " + e.getMessage()
                    + "; check that the destination was started with -incoming " + uri, e);
        }
    }

    /**
     * Destination side: starts listening now (so a bad port fails at once); {@link Listener#accept()} waits for
     * the source.
     *
     * @throws MigrationException naming the URI and the reason, e.g. the port is in use
     */
    public static Listener listen(MigrationUri uri) {
        try {
            if (uri instanceof MigrationUri.Tcp tcp) {
                ServerSocketChannel ss = ServerSocketChannel.open();
                ss.bind(tcp.anyHost() ? new InetSocketAddress(tcp.port())
                        : new InetSocketAddress(tcp.host(), tcp.port()), 1);
                return new Listener.SocketListener(ss, uri, null);
            } else if (uri instanceof MigrationUri.Unix unix) {
                removeStaleSocket(unix);
                ServerSocketChannel ss = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                ss.bind(UnixDomainSocketAddress.of(unix.path()), 1);
                return new Listener.SocketListener(ss, uri, unix.path());
            }
            return new Listener.ExecListener(((MigrationUri.Exec) uri).command());
        } catch (IOException e) {
            throw new MigrationException("cannot listen on " + uri + ": " + e.getMessage()
                    + "; choose a free port or path", e);
        }
    }

    private static void removeStaleSocket(MigrationUri.Unix unix) throws IOException {
        if (Files.exists(unix.path(), LinkOption.NOFOLLOW_LINKS)) {
            BasicFileAttributes a = Files.readAttributes(unix.path(), BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            if (!a.isOther()) {
                throw new IOException(unix.path() + " exists and is not a socket");
            }
            Files.delete(unix.path());
        }
    }
}
