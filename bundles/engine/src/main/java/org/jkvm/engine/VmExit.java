package org.jkvm.engine;

/**
 * How and why the VM ended; the engine process exits with {@link #status()}.
 *
 * @param status       the process exit status: the debug-exit value, 0 for quit/shutdown/halt, 1 for a failure
 * @param reason       one sentence for the user, e.g. "the guest wrote 3 to the debug-exit port"
 * @param registerDump the vCPU registers at the exit (multi-line), or empty when not relevant
 * @param failure      whether this is an error (printed to stderr) rather than a normal end
 */
public record VmExit(int status, String reason, String registerDump, boolean failure) {
    /** The guest wrote {@code value} to the debug-exit port. */
    public static VmExit debugExit(int value) {
        return new VmExit(value, "the guest wrote " + value + " to the debug-exit port", "", false);
    }

    /** Ended by the monitor ({@code quit}) or a signal. */
    public static VmExit quit(String why) {
        return new VmExit(0, why, "", false);
    }

    /** An unexpected guest or KVM condition; exit status 1. */
    public static VmExit failure(String reason, String dump) {
        return new VmExit(1, reason, dump, true);
    }
}
