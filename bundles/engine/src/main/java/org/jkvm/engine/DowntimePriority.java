package org.jkvm.engine;

import org.jkvm.posix.Posix;
import org.jkvm.vmstate.Migratable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's {@link Migratable#raiseDowntimePriority()}: the calling thread goes to {@code SCHED_FIFO} priority 1,
 * the lowest real-time one, which runs before every normal (time-sharing) thread of the host, and back to
 * {@code SCHED_OTHER} afterwards.
 *
 * <p>Why: inside a migration's downtime the guest waits for a chain of threads in two processes (the source's job
 * thread, its return-path reader, the destination's job thread), each woken by the other side. On a busy 2-core host
 * (load 12-15 beside four other helpers' builds) a woken or running normal thread waited there for tens of
 * milliseconds: the source's save of the device state took 26 ms of wall time for 1.2 ms of CPU, and the idle
 * guest's gap (STOP to RESUME) was 17-75 ms, where QEMU's was 3.6-16. libvirt offers the same means per domain
 * ({@code <emulatorsched scheduler='fifo'/>}, which puts QEMU's migration thread there for good); here only the
 * downtime's threads are raised, and only for that stretch, and they block or do bounded work (no spinning), so the
 * rest of the host loses at most the downtime's own milliseconds of CPU.
 *
 * <p>System property {@code jkvm.migration.downtime-priority}: {@code fifo} (default) or {@code normal} (no
 * change; for A/B measurements and for hosts where real-time threads are unwelcome). Without the privilege
 * (CAP_SYS_NICE or RLIMIT_RTPRIO) nothing changes and the first refusal is logged at debug. A thread below the
 * normal priority (nice above 0: the engine's warm-up, whose scratch migrations' threads inherit its nice 19) is left
 * as it is. Thread-safe.
 */
final class DowntimePriority {
    private static final Logger LOG = LoggerFactory.getLogger(DowntimePriority.class);
    private static final boolean ENABLED = !"normal".equals(System.getProperty("jkvm.migration.downtime-priority"));
    private static volatile boolean refusedLogged;

    private DowntimePriority() {
    }

    /** Raises the calling thread; returns what lowers it again (a no-op when nothing was raised). */
    static Runnable raise() {
        if (!ENABLED) {
            return Migratable.NO_PRIORITY_CHANGE;
        }
        int tid = Posix.gettid();
        if (Posix.threadNice(tid) > 0) {
            return Migratable.NO_PRIORITY_CHANGE; // background work (the warm-up's scratch migrations inherit nice 19)
        }
        if (!Posix.setThreadScheduler(tid, Posix.SCHED_FIFO, 1)) {
            if (!refusedLogged) {
                refusedLogged = true;
                LOG.debug("the downtime's threads keep their priority: sched_setscheduler(SCHED_FIFO) failed: {}",
                        Posix.strerror(Posix.lastErrno()));
            }
            return Migratable.NO_PRIORITY_CHANGE;
        }
        return new Lower(tid);
    }

    /** Puts one thread back to the normal policy (a class, not a lambda: created inside the downtime). */
    private static final class Lower implements Runnable {
        private final int tid;

        Lower(int tid) {
            this.tid = tid;
        }

        @Override
        public void run() {
            Posix.setThreadScheduler(tid, Posix.SCHED_OTHER, 0);
        }
    }
}
