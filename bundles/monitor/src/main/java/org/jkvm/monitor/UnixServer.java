package org.jkvm.monitor;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.jkvm.engine.EngineException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listening unix socket for a monitor: each client gets its own session on a daemon thread. The socket file is
 * replaced at start and removed at {@link #close()}.
 */
final class UnixServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(UnixServer.class);

    /** Makes a session for one client's streams. */
    @FunctionalInterface
    interface SessionFactory {
        Runnable session(InputStream in, OutputStream out);
    }

    private final Path path;
    private final ServerSocketChannel server;
    private final List<SocketChannel> clients = new CopyOnWriteArrayList<>();

    /**
     * Binds {@code path} and starts accepting.
     *
     * @param what   the option name for errors, e.g. {@code -qmp}
     * @param wait   whether to block until the first client connects (QEMU's {@code server} without
     *               {@code nowait})
     * @throws EngineException naming the path when it cannot be bound
     */
    UnixServer(String what, Path path, boolean wait, SessionFactory factory) {
        this.path = path;
        try {
            server = listen(path);
        } catch (IOException e) {
            throw new EngineException("cannot listen on the " + what + " socket " + path + ": " + e.getMessage()
                    + "; check that its folder exists and is writable", e);
        }
        SocketChannel first = null;
        if (wait) {
            try {
                first = server.accept();
            } catch (IOException e) {
                throw new EngineException("waiting for a client on " + path + " failed: " + e.getMessage(), e);
            }
        }
        SocketChannel initial = first;
        Thread t = new Thread(() -> acceptLoop(initial, factory), "monitor-" + path.getFileName());
        t.setDaemon(true);
        t.start();
    }

    /**
     * Binds and listens on a temporary name beside {@code path}, then renames it into place, so a client that
     * sees the socket file never finds it not yet listening (bind and listen are two system calls).
     */
    static ServerSocketChannel listen(Path path) throws IOException {
        Path tmp = path.resolveSibling("." + path.getFileName() + ".new");
        Files.deleteIfExists(tmp);
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            s.bind(UnixDomainSocketAddress.of(tmp));
            Files.move(tmp, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            s.close();
            Files.deleteIfExists(tmp);
            throw e;
        }
        return s;
    }

    private void acceptLoop(SocketChannel initial, SessionFactory factory) {
        SocketChannel next = initial;
        while (true) {
            if (next == null) {
                try {
                    next = server.accept();
                } catch (IOException e) {
                    return; // closed
                }
            }
            SocketChannel c = next;
            next = null;
            clients.add(c);
            Thread t = new Thread(() -> {
                try {
                    factory.session(ChannelStreams.in(c), ChannelStreams.out(c)).run();
                } finally {
                    clients.remove(c);
                    try {
                        c.close();
                    } catch (IOException e) {
                        LOG.debug("closing a monitor client failed", e);
                    }
                }
            }, "monitor-client");
            t.setDaemon(true);
            t.start();
        }
    }

    @Override
    public void close() {
        try {
            server.close();
            for (SocketChannel c : clients) {
                c.close();
            }
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.debug("closing {} failed", path, e);
        }
    }
}
