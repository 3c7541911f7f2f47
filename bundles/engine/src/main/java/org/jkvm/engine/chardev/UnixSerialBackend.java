package org.jkvm.engine.chardev;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import org.jkvm.engine.EngineException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code -serial unix:PATH,server[,nowait]}: listens on a unix socket; one client at a time gets the output and
 * sends input. Output while no client is connected is dropped (as QEMU does with {@code nowait}).
 *
 * <p>Output goes out a line at a time, and a line the guest has begun but not ended (a shell's prompt, an echoed
 * keystroke) {@link #PARTIAL_LINE_MS} after it was begun, so that the socket serves as an interactive console.
 */
final class UnixSerialBackend extends SerialBackend {
    private static final Logger LOG = LoggerFactory.getLogger(UnixSerialBackend.class);

    private final Path path;
    private final ServerSocketChannel server;
    private final ByteBuffer buffer = ByteBuffer.allocate(4096);
    private static final int QUEUE_CHUNKS = 256;
    /** How long a begun line waits for its end before it is sent as it is. */
    static final long PARTIAL_LINE_MS = 10;
    /** Queued when a line is begun: the writer then sends it after {@link #PARTIAL_LINE_MS} unless it ended. */
    private static final ByteBuffer LINE_BEGUN = ByteBuffer.allocate(0);

    private final BlockingQueue<ByteBuffer> pending = new ArrayBlockingQueue<>(QUEUE_CHUNKS);
    private volatile SocketChannel client;
    private volatile boolean closed;
    /** The thread sending output to the client (null before {@link #startInput}). */
    private volatile Thread writer;
    private long dropped;
    /** Whether {@link #LINE_BEGUN} was queued for the bytes in {@link #buffer} (guarded by this). */
    private boolean lineBegun;

    UnixSerialBackend(Path path, boolean waitForClient) {
        this.path = path;
        try {
            // Listen under a temporary name, then rename: clients never see a socket that is not listening yet.
            Path tmp = path.resolveSibling("." + path.getFileName() + ".new");
            Files.deleteIfExists(tmp);
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(tmp));
            Files.move(tmp, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new EngineException("cannot listen on the serial socket " + path + ": " + e.getMessage()
                    + "; check that its folder exists and is writable", e);
        }
        if (waitForClient) {
            LOG.info("waiting for a client on the serial socket {}", path);
            acceptOne();
        }
    }

    @Override
    protected void startInput() {
        Thread t = new Thread(this::serve, "serial-unix");
        t.setDaemon(true);
        t.start();
        Thread w = new Thread(this::writeLoop, "serial-unix-out");
        w.setDaemon(true);
        writer = w;
        w.start();
    }

    private void serve() {
        while (server.isOpen()) {
            SocketChannel c = client;
            if (c == null) {
                if (!acceptOne()) {
                    return;
                }
                continue;
            }
            pumpUntilClosed(c);
            synchronized (this) {
                client = null;
            }
        }
    }

    private boolean acceptOne() {
        try {
            SocketChannel c = server.accept();
            synchronized (this) {
                client = c;
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void pumpUntilClosed(SocketChannel c) {
        byte[] buf = new byte[256];
        try (var in = Channels.newInputStream(c)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                deliver(buf, n);
            }
        } catch (IOException e) {
            LOG.debug("serial client left: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    protected synchronized void put(int b) throws IOException {
        if (client == null) {
            return;
        }
        if (!buffer.hasRemaining()) {
            flush();
        }
        buffer.put((byte) b);
        if (!lineBegun) {
            lineBegun = pending.offer(LINE_BEGUN);
        }
    }

    /**
     * Hands the buffered bytes to the writer thread without blocking: the vCPU must never wait for a client that
     * does not read. When the writer is {@link #QUEUE_CHUNKS} chunks behind, output is dropped (as QEMU does).
     */
    @Override
    protected synchronized void flush() {
        lineBegun = false;
        buffer.flip();
        if (buffer.hasRemaining() && client != null) {
            ByteBuffer chunk = ByteBuffer.allocate(buffer.remaining()).put(buffer).flip();
            if (!pending.offer(chunk) && dropped++ == 0) {
                LOG.warn("the serial client on {} does not read; output is dropped until it does", path);
            }
        }
        buffer.clear();
    }

    private void writeLoop() {
        ByteBuffer chunk = null;
        while (!closed || !pending.isEmpty() || chunk != null) {
            try {
                if (chunk == null) {
                    chunk = pending.poll(100, TimeUnit.MILLISECONDS);
                }
                if (chunk == LINE_BEGUN) {
                    // A line was begun: it has PARTIAL_LINE_MS to end, else what there is of it goes out.
                    chunk = pending.poll(PARTIAL_LINE_MS, TimeUnit.MILLISECONDS);
                    if (chunk == null) {
                        flushPartialLine();
                    }
                    continue;
                }
            } catch (InterruptedException e) {
                return;
            }
            ByteBuffer out = chunk;
            chunk = null;
            SocketChannel c = client;
            if (out == null || c == null) {
                continue;
            }
            try {
                while (out.hasRemaining()) {
                    c.write(out);
                }
            } catch (IOException e) {
                LOG.debug("serial client write failed: {}", e.getMessage());
                synchronized (this) {
                    if (client == c) {
                        client = null;
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        super.close();
        // The writer drains the queue and the chunk in its hands before it ends (its loop runs while either is
        // left): waiting only for an empty queue lost the chunk being written, often the guest's last line.
        closed = true;
        Thread w = writer;
        if (w != null && client != null) {
            try {
                w.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            server.close();
            SocketChannel c = client;
            if (c != null) {
                c.close();
            }
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.debug("closing the serial socket failed", e);
        }
    }
}
