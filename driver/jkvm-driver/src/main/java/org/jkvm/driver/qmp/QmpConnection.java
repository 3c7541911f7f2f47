package org.jkvm.driver.qmp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.jkvm.json.Json;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The QMP wire over a unix socket (docs/contracts.md section 4): one JSON object per line. It reads the greeting,
 * negotiates {@code qmp_capabilities}, then runs commands matched to replies by {@code id}; events (decoded by
 * {@link QmpCodec}) and end-of-file go to a {@link QmpListener} from one reader thread. The driver uses it only
 * through the typed {@link QmpClient}, so this class and {@link QmpCodec} are the only places that see QMP's
 * JSON objects. Thread-safe: several threads may call {@link #execute} at once.
 */
final class QmpConnection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QmpConnection.class);
    /** The longest line accepted from an engine; QMP replies are small, a longer one means a broken peer. */
    private static final int MAX_LINE = 16 << 20;

    private final Path socket;
    private final SocketChannel channel;
    private final ByteBuffer readBuf = ByteBuffer.allocate(8192).flip();
    private final Object writeLock = new Object();
    private final QmpListener listener;
    private final Duration timeout;
    private final Map<Long, CompletableFuture<Map<String, Object>>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile String closeReason = "the QMP connection is closed";

    private QmpConnection(Path socket, SocketChannel channel, QmpListener listener, Duration timeout)
            throws IOException {
        this.socket = socket;
        this.channel = channel;
        this.listener = listener;
        this.timeout = timeout;
        String line = readLine();
        if (line == null) {
            throw new QmpException("the engine closed " + socket + " before sending the QMP greeting");
        }
        if (!parseMessage(line).containsKey("QMP")) {
            throw new QmpException("the engine at " + socket + " did not greet with QMP: " + line);
        }
    }

    /**
     * Connects to an engine's QMP socket, reads its greeting and enters command mode.
     *
     * @param socket   the unix socket path given to the engine's {@code -qmp}
     * @param timeout  how long each command may take before it fails
     * @param listener receives events and the end of the connection
     * @return a ready connection
     * @throws QmpException when the socket cannot be reached or the engine does not speak QMP
     */
    static QmpConnection connect(Path socket, Duration timeout, QmpListener listener) {
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
            QmpConnection c = new QmpConnection(socket, ch, listener, timeout);
            Thread t = new Thread(c::readLoop, "qmp-reader-" + socket.getFileName());
            t.setDaemon(true);
            t.start();
            c.execute("qmp_capabilities", Map.of());
            return c;
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            if (e instanceof QmpException q) {
                throw q;
            }
            throw new QmpException("cannot connect to the engine's QMP socket " + socket + ": " + e.getMessage(), e);
        }
    }

    /**
     * Runs a QMP command and waits for its reply.
     *
     * @param command   the command name, e.g. {@code query-status}
     * @param arguments its arguments (may be empty)
     * @return the {@code return} value (often a Map; an empty Map for {@code {}})
     * @throws QmpException when the engine answers with an error, closes the socket or does not answer in time
     */
    Object execute(String command, Map<String, Object> arguments) {
        if (closed.get()) {
            throw new QmpException(closeReason);
        }
        long id = ids.incrementAndGet();
        CompletableFuture<Map<String, Object>> f = new CompletableFuture<>();
        pending.put(id, f);
        Map<String, Object> msg = new LinkedHashMap<>();
        msg.put("execute", command);
        if (arguments != null && !arguments.isEmpty()) {
            msg.put("arguments", arguments);
        }
        msg.put("id", id);
        byte[] bytes = (Json.write(msg) + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            synchronized (writeLock) {
                ByteBuffer bb = ByteBuffer.wrap(bytes);
                while (bb.hasRemaining()) {
                    channel.write(bb);
                }
            }
            return unwrap(command, f.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (IOException e) {
            throw new QmpException("cannot send '" + command + "' to the engine at " + socket + ": "
                    + e.getMessage(), e);
        } catch (TimeoutException e) {
            throw new QmpException("the engine at " + socket + " did not answer '" + command + "' within "
                    + timeout.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            throw (QmpException) e.getCause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QmpException("interrupted while waiting for the engine to answer '" + command + "'", e);
        } finally {
            pending.remove(id);
        }
    }

    private Object unwrap(String command, Map<String, Object> reply) {
        if (reply.containsKey("error")) {
            Object err = reply.get("error");
            String cls = null;
            String desc = String.valueOf(err);
            if (err instanceof Map<?, ?> m) {
                cls = String.valueOf(m.get("class"));
                desc = String.valueOf(m.get("desc"));
            }
            throw new QmpException("the engine refused '" + command + "': " + desc, cls, null);
        }
        Object ret = reply.get("return");
        return ret == null ? Map.of() : ret;
    }

    /** True once the connection has ended. */
    boolean isClosed() {
        return closed.get();
    }

    /** Closes the socket; the engine keeps running. */
    @Override
    public void close() {
        shutdown("the QMP connection to " + socket + " was closed by the driver", false);
    }

    private void readLoop() {
        String reason = "the engine closed its QMP socket " + socket;
        try {
            String line;
            while ((line = readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                Map<String, Object> msg = parseMessage(line);
                if (msg.containsKey("event")) {
                    Object data = msg.get("data");
                    listener.onEvent(QmpCodec.event(String.valueOf(msg.get("event")),
                            data instanceof Map<?, ?> m ? m : Map.of()));
                    continue;
                }
                Object id = msg.get("id");
                CompletableFuture<Map<String, Object>> f = id instanceof Number n ? pending.get(n.longValue()) : null;
                if (f != null) {
                    f.complete(msg);
                } else {
                    LOG.debug("QMP reply with no waiting command from {}: {}", socket, line);
                }
            }
        } catch (IOException | RuntimeException e) {
            if (!closed.get()) {
                reason = "the QMP connection to " + socket + " failed: " + e.getMessage();
            }
        }
        shutdown(reason, true);
    }

    private void shutdown(String reason, boolean notify) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closeReason = reason;
        closeQuietly(channel);
        QmpException ex = new QmpException(reason);
        pending.values().forEach(f -> f.completeExceptionally(ex));
        if (notify) {
            try {
                listener.onClose(reason);
            } catch (RuntimeException e) {
                LOG.warn("QMP close listener failed for {}", socket, e);
            }
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(256);
        while (true) {
            if (!readBuf.hasRemaining()) {
                readBuf.clear();
                int n = channel.read(readBuf);
                readBuf.flip();
                if (n < 0) {
                    break;
                }
                continue;
            }
            byte b = readBuf.get();
            if (b == '\n') {
                return buf.toString(StandardCharsets.UTF_8).strip();
            }
            if (buf.size() >= MAX_LINE) {
                throw new IOException("a QMP line longer than " + MAX_LINE + " bytes");
            }
            buf.write(b);
        }
        return buf.size() == 0 ? null : buf.toString(StandardCharsets.UTF_8).strip();
    }

    private static void closeQuietly(SocketChannel ch) {
        if (ch == null) {
            return;
        }
        try {
            ch.close();
        } catch (IOException e) {
            LOG.debug("closing a QMP socket failed", e);
        }
    }

    /** One QMP message; a line that is not a JSON object is the engine's fault, reported as such. */
    static Map<String, Object> parseMessage(String line) {
        try {
            return Json.parseObject(line);
        } catch (IllegalArgumentException e) {
            throw new QmpException("malformed JSON from the engine: " + e.getMessage(), e);
        }
    }
}
