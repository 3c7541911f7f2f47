package org.jkvm.driver;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

import org.jkvm.remote.spi.ConsoleStream;
import org.jkvm.remote.spi.StreamSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code virsh console} without a console socket (a definition whose serial port is a file, or an engine that does
 * not answer on its socket): follows the domain's serial log from its current end and streams new output to the
 * client until the client ends the session or the domain stops. A file takes no input, so keystrokes are dropped.
 */
final class ConsoleTail implements ConsoleStream {
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleTail.class);
    private static final long POLL_MS = 50;

    private final Domain domain;
    private final Path file;
    private final StreamSink sink;
    private volatile boolean closed;

    private ConsoleTail(Domain domain, Path file, StreamSink sink) {
        this.domain = domain;
        this.file = file;
        this.sink = sink;
    }

    /** Starts following {@code file} on a daemon thread. */
    static ConsoleTail start(Domain domain, Path file, StreamSink sink) {
        ConsoleTail t = new ConsoleTail(domain, file, sink);
        Thread th = new Thread(t::run, "jkvm-console-" + domain.name());
        th.setDaemon(true);
        th.start();
        return t;
    }

    private void run() {
        byte[] buf = new byte[16 * 1024];
        try {
            long pos = Files.exists(file) ? Files.size(file) : 0;
            while (!closed && domain.active()) {
                if (Files.exists(file) && Files.size(file) > pos) {
                    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
                        f.seek(pos);
                        int n;
                        while ((n = f.read(buf)) > 0) {
                            sink.data(buf, 0, n);
                            pos += n;
                        }
                    }
                }
                Thread.sleep(POLL_MS);
            }
        } catch (IOException e) {
            LOG.warn("console of {} stopped: cannot read {}: {}", domain.name(), file, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!closed) {
            sink.end();
        }
    }

    @Override
    public void write(byte[] data) {
        // A serial port that writes to a file has no input side.
    }

    @Override
    public void close() {
        closed = true;
    }
}
