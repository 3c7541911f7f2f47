package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jkvm.engine.EngineEvent;
import org.jkvm.engine.RunState;
import org.jkvm.json.Json;
import org.jkvm.migration.MigrationStatus;
import org.junit.jupiter.api.Test;

/**
 * The QMP spelling of the engine's neutral values: every event variant as the wire had it when the engine still
 * built QMP maps itself (the same JSON, byte for byte), every run state's {@code query-status} name, and a check that
 * each permitted variant of the sealed event types has a QMP form (Java 17 has no exhaustive pattern switch).
 */
class QmpWireTest {
    private static final long T = 1_700_000_000_123_456L;
    /** The end of every event's JSON at time {@link #T}, as QEMU spaces it. */
    private static final String TS = "\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 123456}}";

    @Test
    void engineEventsKeepTheirQmpForm() {
        assertEquals("{\"event\": \"STOP\", " + TS,
                Json.write(QmpWire.event(new EngineEvent.Stopped(T))));
        assertEquals("{\"event\": \"RESUME\", " + TS,
                Json.write(QmpWire.event(new EngineEvent.Resumed(T))));
        assertEquals("{\"event\": \"RESET\", \"data\": {\"guest\": false, \"reason\": \"host-qmp-system-reset\"}, "
                + TS,
                Json.write(QmpWire.event(new EngineEvent.Reset(EngineEvent.Cause.HOST_RESET, T))));
        assertEquals("{\"event\": \"POWERDOWN\", " + TS,
                Json.write(QmpWire.event(new EngineEvent.PowerdownRequested(T))));
        assertEquals(data("guest", false, "reason", "host-qmp-quit"),
                QmpWire.event(new EngineEvent.Shutdown(EngineEvent.Cause.HOST_QUIT, T)).get("data"));
        assertEquals(data("guest", true, "reason", "guest-shutdown"),
                QmpWire.event(new EngineEvent.Shutdown(EngineEvent.Cause.GUEST_SHUTDOWN, T)).get("data"));
        assertEquals(data("guest", true, "reason", "guest-panic"),
                QmpWire.event(new EngineEvent.Shutdown(EngineEvent.Cause.GUEST_PANIC, T)).get("data"));
        assertEquals(data("guest", true, "reason", "guest-reset"),
                QmpWire.event(new EngineEvent.Reset(EngineEvent.Cause.GUEST_RESET, T)).get("data"));
    }

    @Test
    void migrationEventsKeepTheirQmpForm() {
        assertEquals("{\"event\": \"MIGRATION\", \"data\": {\"status\": \"active\"}, " + TS,
                Json.write(QmpWire.event(new MigrationEvent.Status(MigrationStatus.ACTIVE, T))));
        assertEquals("{\"event\": \"MIGRATION_PASS\", \"data\": {\"pass\": 3}, " + TS,
                Json.write(QmpWire.event(new MigrationEvent.Pass(3, T))));
    }

    @Test
    void runStatesHaveQemusNames() {
        List<String> names = new ArrayList<>();
        for (RunState s : RunState.values()) {
            names.add(QmpWire.runState(s));
        }
        assertEquals(List.of("prelaunch", "running", "paused", "inmigrate", "finish-migrate", "postmigrate",
                "shutdown"), names);
    }

    @Test
    void everyEventVariantHasAQmpForm() throws Exception {
        int seen = 0;
        for (Class<?> c : EngineEvent.class.getPermittedSubclasses()) {
            EngineEvent e = (EngineEvent) instance(c);
            assertEquals(T / 1_000_000, ((Map<?, ?>) QmpWire.event(e).get("timestamp")).get("seconds"),
                    c.getSimpleName());
            seen++;
        }
        for (Class<?> c : MigrationEvent.class.getPermittedSubclasses()) {
            QmpWire.event((MigrationEvent) instance(c));
            seen++;
        }
        assertEquals(7, seen, "five engine events and two migration events");
        for (EngineEvent.Cause c : EngineEvent.Cause.values()) {
            QmpWire.cause(c);
        }
    }

    /** A record of {@code c} with default-ish components (a cause, a status, numbers). */
    private static Object instance(Class<?> c) throws Exception {
        var components = c.getRecordComponents();
        Class<?>[] types = new Class<?>[components.length];
        Object[] args = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            args[i] = types[i] == long.class ? T : types[i] == EngineEvent.Cause.class ? EngineEvent.Cause.HOST_QUIT
                    : types[i] == MigrationStatus.class ? MigrationStatus.ACTIVE : null;
        }
        var ctor = c.getDeclaredConstructor(types);
        ctor.setAccessible(true);
        return ctor.newInstance(args);
    }

    private static Map<String, Object> data(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
