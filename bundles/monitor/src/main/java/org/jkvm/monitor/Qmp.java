package org.jkvm.monitor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;

import org.jkvm.engine.EngineControl;
import org.jkvm.engine.EngineException;
import org.jkvm.hypervisor.Accelerator;

/**
 * The QMP command table (docs/contracts.md §4), a thin front end over {@link EngineControl}: each command takes
 * the {@code arguments} object and returns the {@code return} value. {@link QmpSession} handles the protocol
 * around it (greeting, negotiation, ids, errors, events). The wiring adds migration commands with
 * {@link #register}. Events (the engine's and the migration jobs', in their QMP form from {@link QmpWire}) go to
 * every sink added with {@link #addEventSink}. Thread-safe.
 */
public final class Qmp {
    private final EngineControl engine;
    private final Hmp hmp;
    private final Map<String, Function<Map<String, Object>, Object>> commands = new LinkedHashMap<>();
    private final List<Consumer<Map<String, Object>>> sinks = new CopyOnWriteArrayList<>();

    /**
     * @param engine the VM to control
     * @param hmp    the human monitor, for {@code human-monitor-command}
     */
    public Qmp(EngineControl engine, Hmp hmp) {
        this.engine = engine;
        this.hmp = hmp;
        engine.addListener(e -> emit(QmpWire.event(e)));
        register("query-status", a -> map("running", engine.state().running(), "singlestep", false,
                "status", QmpWire.runState(engine.state())));
        register("stop", a -> empty(engine::stop));
        register("cont", a -> empty(engine::cont));
        register("system_reset", a -> empty(engine::systemReset));
        register("system_powerdown", a -> empty(engine::systemPowerdown));
        register("quit", a -> map()); // the session answers first, then ends the VM
        register("query-version", a -> map("qemu", map("major", 0L, "minor", 1L, "micro", 0L),
                "package", "jkvm " + engine.version()));
        register("query-name", a -> map("name", engine.config().name()));
        register("query-uuid", a -> map("UUID", engine.config().uuid().toString()));
        // QEMU's answer: enabled = KVM runs this guest, present = KVM could run guests on this host.
        register("query-kvm", a -> map("enabled", engine.accelerator() == Accelerator.KVM, "present",
                engine.kvmPresent()));
        register("query-cpus-fast", a -> engine.cpus().stream().map(QmpWire::cpu).toList());
        register("query-commands", a -> commandList());
        register("human-monitor-command", this::humanMonitorCommand);
        register("x-jkvm-dirty-count", a -> map("pages", engine.debugDirtyPageCount()));
    }

    /** Adds or replaces a command. */
    public synchronized void register(String name, Function<Map<String, Object>, Object> handler) {
        commands.put(name, handler);
    }

    /**
     * Runs a command.
     *
     * @return the {@code return} value
     * @throws MonitorException with a QMP error class and a one-sentence description
     */
    public Object execute(String name, Map<String, Object> arguments) {
        Function<Map<String, Object>, Object> handler;
        synchronized (this) {
            handler = commands.get(name);
        }
        if (handler == null) {
            throw new MonitorException("CommandNotFound", "The command " + name + " has not been found");
        }
        try {
            return handler.apply(arguments);
        } catch (EngineException e) {
            throw new MonitorException("GenericError", e.getMessage());
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new MonitorException("GenericError", "invalid arguments for " + name + ": " + e.getMessage());
        }
    }

    /** Adds a receiver of every event in its QMP form (a QMP session); called on the thread that caused it. */
    void addEventSink(Consumer<Map<String, Object>> sink) {
        sinks.add(sink);
    }

    /** Removes a receiver added by {@link #addEventSink} (a session that ended). */
    void removeEventSink(Consumer<Map<String, Object>> sink) {
        sinks.remove(sink);
    }

    /** Sends an event (already in its QMP form) to every sink. */
    void emit(Map<String, Object> event) {
        for (Consumer<Map<String, Object>> s : sinks) {
            s.accept(event);
        }
    }

    /** The greeting sent on connect. */
    public Map<String, Object> greeting() {
        return map("QMP", map("version", execute("query-version", Map.of()), "capabilities", List.of()));
    }

    /** The human monitor behind {@code human-monitor-command}. */
    public Hmp hmp() {
        return hmp;
    }

    private Object humanMonitorCommand(Map<String, Object> args) {
        Object line = args.get("command-line");
        if (!(line instanceof String s)) {
            throw new MonitorException("GenericError", "human-monitor-command needs a string 'command-line'");
        }
        if (Hmp.isQuit(s)) {
            throw new MonitorException("GenericError", "use the QMP command quit instead of the HMP quit");
        }
        String out = hmp.execute(s);
        return out.isEmpty() ? "" : out + "\n";
    }

    private synchronized List<Object> commandList() {
        List<Object> l = new ArrayList<>();
        l.add(map("name", "qmp_capabilities"));
        for (String name : commands.keySet()) {
            l.add(map("name", name));
        }
        return l;
    }

    /** An ordered map from alternating keys and values. */
    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static Object empty(Runnable r) {
        r.run();
        return map();
    }
}
