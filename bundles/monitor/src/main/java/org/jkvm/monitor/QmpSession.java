package org.jkvm.monitor;

import org.jkvm.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One QMP client connection: greeting, capabilities negotiation, then {@code execute} → {@code return} or
 * {@code error} (echoing {@code id}), with asynchronous events interleaved once negotiated. Malformed input gets
 * an error reply and the session carries on. Writes are serialised on the session.
 *
 * <pre>
 * S: {"QMP": {"version": {...}, "capabilities": []}}
 * C: {"execute": "qmp_capabilities"}           S: {"return": {}}
 * C: {"execute": "stop", "id": 7}               S: {"return": {}, "id": 7}   S: {"event": "STOP", ...}
 * </pre>
 */
final class QmpSession implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(QmpSession.class);

    private final Qmp qmp;
    private final InputStream in;
    private final OutputStream out;
    private final Runnable onQuit;
    private volatile boolean negotiated;
    private volatile boolean closed;

    /**
     * @param qmp    the command table and the source of events
     * @param in     client input
     * @param out    client output
     * @param onQuit run after the answer to {@code quit} has been sent
     */
    QmpSession(Qmp qmp, InputStream in, OutputStream out, Runnable onQuit) {
        this.qmp = qmp;
        this.in = in;
        this.out = out;
        this.onQuit = onQuit;
    }

    @Override
    public void run() {
        java.util.function.Consumer<Map<String, Object>> sink = this::event;
        qmp.addEventSink(sink);
        send(qmp.greeting());
        JsonFramer framer = new JsonFramer();
        try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            int c;
            while (!closed && (c = r.read()) >= 0) {
                String text = framer.feed((char) c);
                if (text != null && handle(text)) {
                    return;
                }
            }
        } catch (IOException e) {
            LOG.debug("QMP client left: {}", e.getMessage());
        } finally {
            closed = true;
            qmp.removeEventSink(sink);
        }
    }

    /** Handles one JSON text; returns true when the session should end (after quit). */
    private boolean handle(String text) {
        if (text.equals(JsonFramer.TOO_LONG)) {
            send(error(null, "GenericError", "the request is longer than " + JsonFramer.MAX_CHARS + " characters"));
            return false;
        }
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (IllegalArgumentException e) {
            send(error(null, "GenericError", e.getMessage()));
            return false;
        }
        if (!(parsed instanceof Map<?, ?> req) || !(req.get("execute") instanceof String name)) {
            send(error(parsed instanceof Map<?, ?> m ? m.get("id") : null, "GenericError",
                    "a QMP request is an object with a string member 'execute'"));
            return false;
        }
        Object id = req.get("id");
        Object rawArgs = req.get("arguments");
        if (rawArgs != null && !(rawArgs instanceof Map)) {
            send(error(id, "GenericError", "'arguments' must be an object"));
            return false;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> args = rawArgs == null ? Map.of() : (Map<String, Object>) rawArgs;
        if (name.equals("qmp_capabilities")) {
            if (negotiated) {
                send(error(id, "CommandNotFound", "Capabilities negotiation is already complete, command "
                        + "ignored"));
            } else {
                negotiated = true;
                send(reply(id, Qmp.map()));
            }
            return false;
        }
        if (!negotiated) {
            send(error(id, "CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'"));
            return false;
        }
        try {
            Object result = qmp.execute(name, args);
            send(reply(id, result));
        } catch (MonitorException e) {
            send(error(id, e.errorClass(), e.getMessage()));
            return false;
        } catch (RuntimeException e) {
            LOG.debug("QMP command {} failed", name, e);
            send(error(id, "GenericError", name + " failed: " + e.getMessage()));
            return false;
        }
        if (name.equals("quit")) {
            onQuit.run();
            return true;
        }
        return false;
    }

    private void event(Map<String, Object> e) {
        if (negotiated && !closed) {
            send(e);
        }
    }

    private synchronized void send(Map<String, Object> message) {
        if (closed && !message.containsKey("event")) {
            return;
        }
        try {
            out.write((Json.write(message) + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            closed = true;
            LOG.debug("QMP write failed: {}", e.getMessage());
        }
    }

    private static Map<String, Object> reply(Object id, Object result) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("return", result);
        if (id != null) {
            m.put("id", id);
        }
        return m;
    }

    private static Map<String, Object> error(Object id, String cls, String desc) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error", Qmp.map("class", cls, "desc", desc));
        if (id != null) {
            m.put("id", id);
        }
        return m;
    }
}
