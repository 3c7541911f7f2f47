package org.jkvm.migration;

/**
 * Records how long each phase of a migration took ("connect 2 ms, handshake 5 ms, ..."), for the log line that
 * ends a job: the first thing to read when a migration is slow. Used by one thread.
 */
final class PhaseTimer {
    private final NanoClock clock;
    private final StringBuilder text = new StringBuilder();
    private long last;

    PhaseTimer(NanoClock clock) {
        this.clock = clock;
        this.last = clock.nanoTime();
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

    @Override
    public String toString() {
        return text.toString();
    }
}
