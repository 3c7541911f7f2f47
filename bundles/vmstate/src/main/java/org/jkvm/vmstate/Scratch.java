package org.jkvm.vmstate;

import org.slf4j.Logger;

/**
 * Marks work on scratch VMs, such as an engine warming up its migration paths with a migration between two VMs of
 * its own: the mark is per thread and passes to the threads started under it (a scratch VM's vCPU thread, its
 * migration threads), and there the engine's and the migration's progress lines go to debug instead of info, so an
 * engine's log at info speaks of its real guest only.
 */
public final class Scratch {
    private static final InheritableThreadLocal<Boolean> ACTIVE = new InheritableThreadLocal<>();

    private Scratch() {
    }

    /** Runs {@code task} on this thread under the mark; threads it starts carry the mark too. */
    public static void run(Runnable task) {
        Boolean before = ACTIVE.get();
        ACTIVE.set(Boolean.TRUE);
        try {
            task.run();
        } finally {
            ACTIVE.set(before);
        }
    }

    /** Whether this thread works on scratch VMs. */
    public static boolean active() {
        return ACTIVE.get() == Boolean.TRUE;
    }

    /** Logs at info, or at debug under the mark. */
    public static void info(Logger log, String format, Object... args) {
        if (active()) {
            log.debug(format, args);
        } else {
            log.info(format, args);
        }
    }
}
