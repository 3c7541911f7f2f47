package org.jkvm.monitor;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import org.jkvm.engine.EngineEvent;
import org.jkvm.engine.RunState;
import org.jkvm.engine.VcpuInfo;

/**
 * The one place that spells engine values as QEMU's monitor protocol does (docs/contracts.md §4): run-state names,
 * event names with their data, shutdown and reset causes, and the vCPU entries of {@code query-cpus-fast}. The
 * engine keeps neutral values ({@link RunState}, {@link EngineEvent}, {@link VcpuInfo}), so these strings live here
 * only. Stateless and thread-safe.
 */
final class QmpWire {
    private QmpWire() {
    }

    /** The {@code query-status} name of a run state, e.g. {@code finish-migrate}. */
    static String runState(RunState s) {
        return s.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** QEMU's {@code ShutdownCause} for the {@code reason} of SHUTDOWN and RESET. */
    static String cause(EngineEvent.Cause c) {
        return switch (c) {
            case HOST_QUIT -> "host-qmp-quit";
            case HOST_RESET -> "host-qmp-system-reset";
            case GUEST_SHUTDOWN -> "guest-shutdown";
            case GUEST_RESET -> "guest-reset";
            case GUEST_PANIC -> "guest-panic";
        };
    }

    /** The QMP form of an engine event: {@code {"event", "data"?, "timestamp": {"seconds", "microseconds"}}}. */
    static Map<String, Object> event(EngineEvent e) {
        // Java 17 has no pattern switch (a preview there); QmpWireTest encodes every permitted variant, so a new
        // one cannot reach the exception below unnoticed.
        long t = e.timestampMicros();
        if (e instanceof EngineEvent.Stopped) {
            return message("STOP", Map.of(), t);
        } else if (e instanceof EngineEvent.Resumed) {
            return message("RESUME", Map.of(), t);
        } else if (e instanceof EngineEvent.Reset r) {
            return message("RESET", Qmp.map("guest", r.guest(), "reason", cause(r.cause())), t);
        } else if (e instanceof EngineEvent.PowerdownRequested) {
            return message("POWERDOWN", Map.of(), t);
        } else if (e instanceof EngineEvent.Shutdown s) {
            return message("SHUTDOWN", Qmp.map("guest", s.guest(), "reason", cause(s.cause())), t);
        }
        throw new IllegalArgumentException("no QMP form for the engine event " + e + "; add it to QmpWire");
    }

    /** The QMP form of a migration event ({@code MIGRATION} with the status, {@code MIGRATION_PASS}). */
    static Map<String, Object> event(MigrationEvent e) {
        if (e instanceof MigrationEvent.Status s) {
            return message("MIGRATION", Qmp.map("status", s.status().wireName()), s.timestampMicros());
        } else if (e instanceof MigrationEvent.Pass p) {
            return message("MIGRATION_PASS", Qmp.map("pass", p.pass()), p.timestampMicros());
        }
        throw new IllegalArgumentException("no QMP form for the migration event " + e + "; add it to QmpWire");
    }

    /** A vCPU as {@code query-cpus-fast} lists it (QEMU's x86 entry, plus {@code halted}). */
    static Map<String, Object> cpu(VcpuInfo c) {
        return Qmp.map("cpu-index", c.index(), "thread-id", c.nativeThreadId(), "qom-path",
                "/machine/unattached/device[" + c.index() + "]", "target", "x86_64", "halted", c.halted());
    }

    private static Map<String, Object> message(String name, Map<String, Object> data, long micros) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", name);
        if (!data.isEmpty()) {
            m.put("data", new LinkedHashMap<>(data));
        }
        m.put("timestamp", Qmp.map("seconds", micros / 1_000_000, "microseconds", micros % 1_000_000));
        return m;
    }
}
