package org.jkvm.driver;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.jkvm.remote.spi.ConsoleStream;
import org.jkvm.remote.spi.StreamSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code virsh console} on the engine's console socket ({@code -serial unix:SOCKET,server,nowait,logfile=LOG}):
 * the guest's COM1 output goes to the client and the client's keystrokes to COM1's receive path, until the client
 * ends the session, another client takes the console over ({@code --force}) or the engine closes the socket (the
 * domain stopped). The engine serves one client at a time, as a pty would.
 *
 * <p>Keystrokes are written by a thread of this console, not by the caller: the engine stops reading while the
 * guest's receive FIFO is full, and the caller is the client connection's reading thread. Thread-safe.
 */
final class ConsoleSocket implements ConsoleStream {
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleSocket.class);

    private final String domain;
    private final SocketChannel channel;
    private final StreamSink sink;
    private final ExecutorService writer;
    private volatile boolean closed;

    private ConsoleSocket(String domain, SocketChannel channel, StreamSink sink) {
        this.domain = domain;
        this.channel = channel;
        this.sink = sink;
        this.writer = Executors.newSingleThreadExecutor(r -> daemon(r, "jkvm-console-in-" + domain));
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /**
     * Connects to the engine's console socket and starts sending its output to {@code sink}.
     *
     * @throws IOException when the socket does not answer (no engine behind it)
     */
    static ConsoleSocket connect(String domain, Path socket, StreamSink sink) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        ConsoleSocket c = new ConsoleSocket(domain, ch, sink);
        daemon(c::pumpOutput, "jkvm-console-" + domain).start();
        return c;
    }

    private void pumpOutput() {
        ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
        try {
            while (!closed && channel.read(buf.clear()) >= 0) {
                synchronized (this) { // no output after takenOver() has ended the stream
                    if (buf.position() > 0 && !closed) {
                        sink.data(buf.array(), 0, buf.position());
                    }
                }
            }
        } catch (IOException e) {
            if (!closed) {
                LOG.debug("console of {}: the engine's socket failed: {}", domain, e.getMessage());
            }
        }
        synchronized (this) {
            if (!closed) {
                closed = true;
                sink.end(); // the engine closed the socket: the domain stopped
            }
        }
        closeChannel();
    }

    @Override
    public void write(byte[] data) {
        if (closed) {
            return;
        }
        byte[] copy = data.clone();
        writer.execute(() -> {
            try {
                ByteBuffer b = ByteBuffer.wrap(copy);
                while (b.hasRemaining() && !closed) {
                    channel.write(b);
                }
            } catch (IOException e) {
                LOG.debug("console of {}: typed input lost, the engine's socket failed: {}", domain, e.getMessage());
            }
        });
    }

    /** Another client takes the console ({@code virsh console --force}): this client's stream ends. */
    synchronized void takenOver() {
        if (!closed) {
            closed = true;
            sink.end();
            closeChannel();
        }
    }

    /** Whether the session is still open. */
    boolean open() {
        return !closed && channel.isOpen();
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        closeChannel();
    }

    private void closeChannel() {
        writer.shutdown();
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing the console socket of {} failed: {}", domain, e.getMessage());
        }
    }
}
