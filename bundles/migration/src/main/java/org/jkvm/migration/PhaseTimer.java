package org.jkvm.migration;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Instant;

/**
 * Records how long each phase of a migration took ("connect 2 ms, handshake 5 ms, ..."), for the log line that
 * ends a job: the first thing to read when a migration is slow. The phases inside the downtime are also stamped
 * with the wall-clock time they ended ({@link #stamp}), in microseconds since the epoch like QMP's event
 * timestamps, so that the source's and the destination's logs on one host line up into one timeline of the
 * guest's gap (the bench reads them). Each stamp also carries the CPU time this thread used since the previous
 * stamp ({@code cpu=us}): a phase whose wall time is far above its CPU time waited (for another thread, the peer,
 * or a CPU on a loaded host). Used by one thread.
 */
final class PhaseTimer {
    private final NanoClock clock;
    private final StringBuilder text = new StringBuilder();
    private final StringBuilder timeline = new StringBuilder();
    /** The wall clock at {@link #baseNanos}, in microseconds since the epoch. */
    private final long baseEpochMicros;
    private final long baseNanos;
    private long last;
    private long lastCpuNanos = -1;

    PhaseTimer(NanoClock clock) {
        this.clock = clock;
        Instant now = Instant.now();
        this.baseNanos = clock.nanoTime();
        this.baseEpochMicros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
        this.last = baseNanos;
        // The first use loads the management classes: here, at the job's start, not at a stamp inside the downtime.
        this.lastCpuNanos = threadCpuNanos();
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

    /**
     * Ends the current phase under "{@code name} ({@code count unit})". Built here with the builder rather than by
     * the caller's string concatenation, whose call site would be linked on its first run, inside the downtime.
     */
    void markCounted(String name, long count, String unit) {
        mark(new StringBuilder(name.length() + unit.length() + 24).append(name).append(" (").append(count)
                .append(' ').append(unit).append(')').toString());
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
        long cpu = threadCpuNanos();
        if (cpu >= 0 && lastCpuNanos >= 0) {
            timeline.append(" cpu=").append((cpu - lastCpuNanos) / 1000);
        }
        lastCpuNanos = cpu;
    }

    private static long threadCpuNanos() {
        ThreadMXBean b = ManagementFactory.getThreadMXBean();
        return b.isCurrentThreadCpuTimeSupported() ? b.getCurrentThreadCpuTime() : -1;
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
