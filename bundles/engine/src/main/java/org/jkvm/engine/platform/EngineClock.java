package org.jkvm.engine.platform;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;

import org.jkvm.devices.DeviceClock;
import org.jkvm.hypervisor.GuestClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The devices' guest time and timers: the backend's {@link GuestClock} (KVM: the host's monotonic clock, the time
 * its guest runs on; the software CPU: the VM's guest time, which its TSC and timers read too and which stands still
 * while the VM is paused) and one daemon thread, {@code platform-timer}, that runs every expired device timer. A
 * timer callback takes its device's lock like any register access; a failure in one is logged once and does not
 * stop the thread.
 *
 * <p>A timer fires only once guest time has reached its deadline: one that comes due in host time while the clock
 * is paused, or that is armed then, waits for the resume and fires at the same guest time as without the pause.
 *
 * <p>Each callback runs holding the machine's device-event lock, which a state save or restore holds throughout: a
 * device timer that fired between the save of the interrupt controllers and the save of its device would raise a
 * line the saved controllers never saw, and the destination, which restores the lines quietly, would then wait
 * forever for that device's next edge.
 *
 * <p>Thread-safe. Owned by the machine, closed after the vCPU stops.
 */
public final class EngineClock implements DeviceClock, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EngineClock.class);

    private final ScheduledThreadPoolExecutor executor;
    private final GuestClock clock;
    /** Timers whose deadline waits for the end of a pause. */
    private final Set<Timer> waiting = ConcurrentHashMap.newKeySet();
    /** The machine's device-event lock, held while a timer callback runs. */
    private final Lock events;
    private volatile boolean failureLogged;

    /**
     * Starts the timer thread.
     *
     * @param events the machine's device-event lock (see the class comment)
     * @param clock  the backend's guest time ({@code HvVm.guestClock()})
     */
    public EngineClock(Lock events, GuestClock clock) {
        this.events = events;
        this.clock = clock;
        clock.onResume(this::resumed);
        executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "platform-timer");
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
    }

    @Override
    public long nanos() {
        return clock.nanos();
    }

    /** Guest time goes on: the timers that waited for it are scheduled again. */
    private void resumed() {
        for (Timer t : waiting) {
            waiting.remove(t);
            t.reschedule();
        }
    }

    /** How many armed timers wait for the end of a pause (for tests). */
    int waitingTimers() {
        return waiting.size();
    }

    @Override
    public DeviceTimer newTimer(String name, Runnable onExpiry) {
        return new Timer(name, onExpiry);
    }

    /** Stops the timer thread; armed timers never fire. Idempotent. */
    @Override
    public void close() {
        executor.shutdownNow();
    }

    private final class Timer implements DeviceTimer {
        private final String name;
        private final Runnable onExpiry;
        /** The scheduled expiry, or null; guarded by this. */
        private ScheduledFuture<?> pending;
        /** Whether a deadline is armed, and which (guest time); guarded by this. */
        private boolean armed;
        private long deadline;

        Timer(String name, Runnable onExpiry) {
            this.name = name;
            this.onExpiry = onExpiry;
        }

        @Override
        public synchronized void arm(long deadlineNs) {
            armed = true;
            deadline = deadlineNs;
            reschedule();
        }

        /** Schedules the armed deadline on the executor, or leaves it waiting for the end of a pause. */
        synchronized void reschedule() {
            if (pending != null) {
                pending.cancel(false);
                pending = null;
            }
            if (!armed || executor.isShutdown()) {
                return;
            }
            if (clock.paused()) {
                waiting.add(this);
                if (!clock.paused()) {   // resumed meanwhile: its listener may have missed this timer
                    waiting.remove(this);
                } else {
                    return;
                }
            }
            pending = executor.schedule(this::fire, Math.max(0, deadline - nanos()), TimeUnit.NANOSECONDS);
        }

        @Override
        public synchronized void cancel() {
            armed = false;
            waiting.remove(this);
            if (pending != null) {
                pending.cancel(false);
                pending = null;
            }
        }

        private void fire() {
            synchronized (this) {
                if (!armed) {
                    return;
                }
                if (nanos() < deadline) {   // due in host time only: the clock was paused meanwhile
                    reschedule();
                    return;
                }
                armed = false;
                pending = null;
            }
            events.lock();
            try {
                onExpiry.run();
            } catch (RuntimeException e) {
                if (!failureLogged) {
                    failureLogged = true;
                    LOG.warn("the {} timer failed ({}); later failures are not logged", name, e.toString());
                }
                LOG.debug("timer {} failed", name, e);
            } finally {
                events.unlock();
            }
        }
    }
}
