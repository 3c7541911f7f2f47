package org.jkvm.migration;

import java.time.Instant;

/**
 * Records how long each phase of a migration took ("connect 2 ms, handshake 5 ms, ..."), for the log line that
 * ends a job: the first thing to read when a migration is slow. The phases inside the downtime are also stamped
 * with the wall-clock time they ended ({@link #stamp}), in microseconds since the epoch like QMP's event
 * timestamps, so that the source's and the destination's logs on one host line up into one timeline of the
 * guest's gap (the bench reads them). Used by one thread.
 */
final class PhaseTimer {
    private final NanoClock clock;
    private final StringBuilder text = new StringBuilder();
    private final StringBuilder timeline = new StringBuilder();
    /** The wall clock at {@link #baseNanos}, in microseconds since the epoch. */
    private final long baseEpochMicros;
    private final long baseNanos;
    private long last;

    PhaseTimer(NanoClock clock) {
        this.clock = clock;
        Instant now = Instant.now();
        this.baseNanos = clock.nanoTime();
        this.baseEpochMicros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
        this.last = baseNanos;
    }

    /** Ends the current phase under {@code name}. */
    void mark(String name) {
        long now = clock.nanoTime();
        if (text.length() > 0) {
            text.append(", ");
        }
        text.append(name).append(' ').append((now - last) / 1_000_000).append(" ms");
        last = now;
    }

    /** Ends the current phase under {@code name} and adds its end to the timeline. */
    void markStamped(String name) {
        mark(name);
        stampLast(name);
    }

    /** Adds the end of the last phase to the timeline under {@code name} (when its log name carries counts). */
    void stampLast(String name) {
        stamp(name, last);
    }

    /** Adds {@code name} at {@code nanos} (this timer's clock) to the timeline, without ending a phase. */
    void stamp(String name, long nanos) {
        if (timeline.length() > 0) {
            timeline.append(", ");
        }
        timeline.append(name).append(" @").append(baseEpochMicros + (nanos - baseNanos) / 1000);
    }

    /** This timer's clock now (for {@link #stamp} of an event seen on another thread). */
    long now() {
        return clock.nanoTime();
    }

    /** The stamped ends, "name @epochMicros, ...", empty when none. */
    String timeline() {
        return timeline.toString();
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
