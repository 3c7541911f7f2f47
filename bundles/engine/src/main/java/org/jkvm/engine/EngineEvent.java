package org.jkvm.engine;

/**
 * Something the VM did that a monitor may announce (QMP sends them as events; the monitor module owns their names
 * and wire form). A closed set: a new kind of event is a new variant here and a new case in the monitor's encoder,
 * which the compiler then asks for.
 *
 * <p>Every event carries the wall-clock time it happened, in microseconds since the epoch (the QMP timestamp).
 * Listeners ({@link EngineControl#addListener}) are called on the thread that caused the event.
 */
public sealed interface EngineEvent {
    /** When it happened, in microseconds since the epoch. */
    long timestampMicros();

    /** The vCPU stopped executing guest code (a monitor's stop, or migration pausing the guest). */
    record Stopped(long timestampMicros) implements EngineEvent {
    }

    /** The vCPU executes guest code again (or for the first time). */
    record Resumed(long timestampMicros) implements EngineEvent {
    }

    /** The VM was reset (firmware reloaded, devices reset); the run state is unchanged. */
    record Reset(Cause cause, long timestampMicros) implements EngineEvent {
        /** Whether the guest asked for it (else the host did). */
        public boolean guest() {
            return cause.guest();
        }
    }

    /** A power-down request (the power button) was passed to the guest, which decides what to do. */
    record PowerdownRequested(long timestampMicros) implements EngineEvent {
    }

    /** The VM ended: no more guest code runs, and the engine process exits. */
    record Shutdown(Cause cause, long timestampMicros) implements EngineEvent {
        /** Whether the guest caused it (else the host did). */
        public boolean guest() {
            return cause.guest();
        }
    }

    /** Why the VM was reset or ended. */
    enum Cause {
        /** The host ended the VM (a monitor's quit, a failed incoming migration, a signal). */
        HOST_QUIT(false),
        /** The host reset the VM (a monitor's system_reset). */
        HOST_RESET(false),
        /** The guest powered off or ended itself (debug exit, power-off request). */
        GUEST_SHUTDOWN(true),
        /** The guest reset the machine (keyboard controller pulse, reset register). */
        GUEST_RESET(true),
        /** The guest failed (an unexpected halt, a triple fault, a vCPU error). */
        GUEST_PANIC(true);

        private final boolean guest;

        Cause(boolean guest) {
            this.guest = guest;
        }

        /** Whether the guest caused it. */
        public boolean guest() {
            return guest;
        }
    }

    /** The current wall-clock time in microseconds since the epoch, for a new event. */
    static long nowMicros() {
        java.time.Instant t = java.time.Instant.now();
        return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
    }
}
