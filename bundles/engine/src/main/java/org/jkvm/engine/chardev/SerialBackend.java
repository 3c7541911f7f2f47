package org.jkvm.engine.chardev;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;

import org.jkvm.devices.serial.Serial16550;
import org.jkvm.devices.serial.SerialOutput;
import org.jkvm.engine.CharDev;
import org.jkvm.engine.EngineException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where COM1's bytes go and come from ({@code -serial}): a file, a listening unix socket, stdio or nothing.
 *
 * <p>Output is buffered and flushed at each newline, so a reader of the file sees whole lines; a socket with
 * {@code logfile=} also writes it to that file. A write failure is logged once and the bytes are dropped: the
 * guest never notices. Input (socket, stdin) is fed to the UART by a daemon thread as it comes, which raises the
 * UART's received-data interrupt; while the UART's FIFO is full the thread parks until the guest has read some
 * (the UART tells it), so input waits in the socket or pipe rather than being dropped.
 */
public abstract class SerialBackend implements SerialOutput, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SerialBackend.class);

    private volatile Serial16550 uart;
    private volatile java.util.concurrent.locks.Lock events;
    private boolean failed;
    /** Also gets all output ({@code logfile=}), or null. */
    private OutputStream log;
    /** The input thread while it waits for FIFO space, else null. */
    private volatile Thread waiting;

    /**
     * Opens the backend for {@code dev}.
     *
     * @throws EngineException naming the path when it cannot be created or bound
     */
    public static SerialBackend open(CharDev dev) {
        if (dev instanceof CharDev.FileDev f) {
            try {
                java.nio.file.OpenOption[] mode = f.append()
                        ? new java.nio.file.OpenOption[] {StandardOpenOption.CREATE, StandardOpenOption.APPEND}
                        : new java.nio.file.OpenOption[0];
                return new StreamBackend(new BufferedOutputStream(Files.newOutputStream(f.path(), mode)), null, false);
            } catch (IOException e) {
                throw new EngineException("cannot open the serial file " + f.path() + ": " + e.getMessage()
                        + "; check that its folder exists and is writable", e);
            }
        }
        if (dev instanceof CharDev.Stdio) {
            return new StreamBackend(System.out, System.in, true);
        }
        if (dev instanceof CharDev.UnixDev u) {
            OutputStream log = u.logfile() == null ? null : openLog(u.logfile(), u.logAppend());
            try {
                SerialBackend b = new UnixSerialBackend(u.path(), u.waitForClient());
                b.log = log;
                return b;
            } catch (RuntimeException e) {
                if (log != null) {
                    try {
                        log.close();
                    } catch (IOException again) {
                        e.addSuppressed(again);
                    }
                }
                throw e;
            }
        }
        return new StreamBackend(OutputStream.nullOutputStream(), null, false);
    }

    private static OutputStream openLog(java.nio.file.Path path, boolean append) {
        try {
            java.nio.file.OpenOption[] mode = append
                    ? new java.nio.file.OpenOption[] {StandardOpenOption.CREATE, StandardOpenOption.APPEND}
                    : new java.nio.file.OpenOption[0];
            return new BufferedOutputStream(Files.newOutputStream(path, mode));
        } catch (IOException e) {
            throw new EngineException("cannot open the serial log file " + path + ": " + e.getMessage()
                    + "; check that its folder exists and is writable", e);
        }
    }

    /**
     * Connects the UART that receives input; call once, before the guest runs.
     *
     * @param events the machine's device-event lock, held while input goes into the UART (a state save holds it, so
     *               the UART's line cannot rise between the saves of the interrupt controllers and of the UART)
     */
    public void attach(Serial16550 target, java.util.concurrent.locks.Lock events) {
        this.events = events;
        this.uart = target;
        target.setReceiveSpaceListener(() -> {
            Thread t = waiting;
            if (t != null) {
                java.util.concurrent.locks.LockSupport.unpark(t);
            }
        });
        startInput();
    }

    /** Starts the input thread, if the backend has input. */
    protected void startInput() {
    }

    /** Writes one byte to the sink; may throw. */
    protected abstract void put(int b) throws IOException;

    /** Flushes the sink; may throw. */
    protected abstract void flush() throws IOException;

    @Override
    public final void write(int b) {
        try {
            put(b);
            if (log != null) {
                log.write(b);
            }
            if (b == '\n') {
                flushAll();
            }
        } catch (IOException e) {
            if (!failed) {
                failed = true;
                LOG.warn("serial output failed ({}); further output is dropped", e.getMessage());
            }
        }
    }

    /**
     * Pushes out a line the guest has begun but not ended. Called when the vCPU stops, so that a reader of the
     * output (and a migration's destination, which finishes the line) sees every byte the guest wrote so far.
     */
    public final void flushPartialLine() {
        try {
            flushAll();
        } catch (IOException e) {
            LOG.debug("serial flush failed", e);
        }
    }

    /** Copies {@code in} to the UART until end of stream, on a daemon thread. */
    protected final void pump(InputStream in, String threadName) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[256];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    deliver(buf, n);
                }
            } catch (IOException e) {
                LOG.debug("serial input ended: {}", e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, threadName);
        t.setDaemon(true);
        t.start();
    }

    /**
     * Hands {@code n} input bytes to the UART, parking while its FIFO is full until the guest reads (the UART's
     * space listener unparks this thread; the bounded park only guards against a lost wake-up).
     */
    protected final void deliver(byte[] buf, int n) throws InterruptedException {
        Serial16550 target = uart;
        int off = 0;
        while (target != null && off < n) {
            int space = target.receiveSpace();
            if (space == 0) {
                waiting = Thread.currentThread();
                if (target.receiveSpace() == 0) { // checked again after publishing: no wake-up can be missed
                    java.util.concurrent.locks.LockSupport.parkNanos(this, 100_000_000L);
                }
                waiting = null;
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                continue;
            }
            java.util.concurrent.locks.Lock held = events;
            held.lock();
            try {
                off += target.receive(buf, off, Math.min(n - off, space));
            } finally {
                held.unlock();
            }
        }
    }

    private void flushAll() throws IOException {
        flush();
        if (log != null) {
            log.flush();
        }
    }

    /** Flushes and releases the backend. */
    @Override
    public void close() {
        try {
            flush();
        } catch (IOException e) {
            LOG.debug("serial flush at close failed", e);
        }
        if (log != null) {
            try {
                log.close();
            } catch (IOException e) {
                LOG.debug("closing the serial log failed", e);
            }
        }
    }

    /** A file, stdout or nothing; stdin as input for stdio. */
    private static final class StreamBackend extends SerialBackend {
        private final OutputStream out;
        private final InputStream in;
        private final boolean shared;

        StreamBackend(OutputStream out, InputStream in, boolean shared) {
            this.out = out;
            this.in = in;
            this.shared = shared;
        }

        @Override
        protected void startInput() {
            if (in != null) {
                pump(in, "serial-stdin");
            }
        }

        @Override
        protected void put(int b) throws IOException {
            out.write(b);
        }

        @Override
        protected void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() {
            super.close();
            if (!shared) {
                try {
                    out.close();
                } catch (IOException e) {
                    LOG.debug("closing serial output failed", e);
                }
            }
        }
    }
}
