package org.jkvm.vmstate;

import org.slf4j.Logger;

/**
 * The progress lines of the engine and the migration ("VM created", "migration completed", ...): logged at info,
 * except on threads that work on scratch VMs, such as an engine warming up its migration paths with migrations
 * between two throwaway VMs of its own, where they go to debug, so an engine's log at info speaks of its real guest
 * only. The quiet mark is per thread and passes to the threads started under it (a scratch VM's vCPU thread, its
 * migration threads). It is set in one place, the monitor's warm-up package ({@code org.jkvm.monitor.warmup}, whose
 * background threads run quietly); the engine and the migration module only read it here, below both. Thread-safe.
 */
public final class ProgressLog {
    private static final InheritableThreadLocal<Boolean> QUIET = new InheritableThreadLocal<>();

    private ProgressLog() {
    }

    /** Runs {@code task} on this thread with progress lines quiet; threads it starts are quiet too. */
    public static void quietly(Runnable task) {
        Boolean before = QUIET.get();
        QUIET.set(Boolean.TRUE);
        try {
            task.run();
        } finally {
            QUIET.set(before);
        }
    }

    /** Whether this thread's progress lines go to debug (it works on scratch VMs). */
    public static boolean isQuiet() {
        return QUIET.get() == Boolean.TRUE;
    }

    /** Logs a progress line: at info, or at debug on a quiet thread. */
    public static void info(Logger log, String format, Object... args) {
        if (isQuiet()) {
            log.debug(format, args);
        } else {
            log.info(format, args);
        }
    }
}
