package org.jkvm.driver.qmp;

/**
 * An event an engine sends unasked (docs/contracts.md section 4), decoded from its QMP form
 * {@code {"event": NAME, "data": {...}, "timestamp": {...}}}. The set the driver acts on is closed; any other event
 * is {@link Other}, carrying only its name.
 */
public sealed interface QmpEvent {
    /** The QMP event name, e.g. {@code STOP}. */
    String name();

    /** The guest's vCPUs stopped ({@code STOP}). */
    record Stop() implements QmpEvent {
        @Override
        public String name() {
            return "STOP";
        }
    }

    /** The guest's vCPUs run again ({@code RESUME}). */
    record Resume() implements QmpEvent {
        @Override
        public String name() {
            return "RESUME";
        }
    }

    /**
     * The guest ended ({@code SHUTDOWN}); the engine exits next.
     *
     * @param guest  whether the guest asked for it (else the host did, e.g. {@code quit})
     * @param reason QEMU's {@code ShutdownCause}, e.g. {@code guest-shutdown}, {@code host-qmp-quit}; empty if absent
     */
    record Shutdown(boolean guest, String reason) implements QmpEvent {
        @Override
        public String name() {
            return "SHUTDOWN";
        }
    }

    /**
     * A migration job changed status ({@code MIGRATION}).
     *
     * @param status the new status
     */
    record Migration(MigrationStatus status) implements QmpEvent {
        @Override
        public String name() {
            return "MIGRATION";
        }
    }

    /**
     * A migration's dirty-log pass began ({@code MIGRATION_PASS}).
     *
     * @param pass the pass number, from 1
     */
    record MigrationPass(long pass) implements QmpEvent {
        @Override
        public String name() {
            return "MIGRATION_PASS";
        }
    }

    /**
     * Any other event ({@code RESET}, {@code POWERDOWN}, ...), which the driver only logs.
     *
     * @param name the QMP event name
     */
    record Other(String name) implements QmpEvent {
    }
}
