package org.jkvm.engine;

import java.util.Map;

/**
 * An asynchronous event for the monitors, as QMP publishes it: {@code STOP}, {@code RESUME}, {@code SHUTDOWN},
 * and later {@code MIGRATION}/{@code MIGRATION_PASS}.
 *
 * @param name          the QMP event name
 * @param data          the event data (string, number or boolean values), possibly empty
 * @param timestampMicros wall-clock time of the event in microseconds since the epoch
 */
public record EngineEvent(String name, Map<String, Object> data, long timestampMicros) {
    /** Copies {@code data}. */
    public EngineEvent {
        data = Map.copyOf(data);
    }

    /** An event stamped now. */
    public static EngineEvent now(String name, Map<String, Object> data) {
        java.time.Instant t = java.time.Instant.now();
        return new EngineEvent(name, data, t.getEpochSecond() * 1_000_000L + t.getNano() / 1000);
    }
}
