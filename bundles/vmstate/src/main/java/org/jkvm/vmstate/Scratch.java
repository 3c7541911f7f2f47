package org.jkvm.vmstate;

import org.slf4j.Logger;

/**
 * The former name of {@link ProgressLog}, kept only until its last callers (the engine's {@code Vm} and the
 * monitor's {@code MigrationWarmUp}, being rewritten for issue 11 at the time of the rename) move to it; each method
 * forwards to its new name.
 *
 * @deprecated use {@link ProgressLog}
 */
@Deprecated(forRemoval = true)
public final class Scratch {
    private Scratch() {
    }

    /** {@link ProgressLog#quietly}. */
    public static void run(Runnable task) {
        ProgressLog.quietly(task);
    }

    /** {@link ProgressLog#isQuiet}. */
    public static boolean active() {
        return ProgressLog.isQuiet();
    }

    /** {@link ProgressLog#info}. */
    public static void info(Logger log, String format, Object... args) {
        ProgressLog.info(log, format, args);
    }
}
