package org.jkvm.engine.platform;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;

import org.jkvm.devices.DeviceClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The devices' guest time and timers: {@link System#nanoTime()} (CLOCK_MONOTONIC, the time KVM's guest runs on)
 * and one daemon thread, {@code platform-timer}, that runs every expired device timer. A timer callback takes its
 * device's lock like any register access; a failure in one is logged once and does not stop the thread.
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
    /** The machine's device-event lock, held while a timer callback runs. */
    private final Lock events;
    private volatile boolean failureLogged;

    /**
     * Starts the timer thread.
     *
     * @param events the machine's device-event lock (see the class comment)
     */
    public EngineClock(Lock events) {
        this.events = events;
        executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "platform-timer");
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
    }

    @Override
    public long nanos() {
        return System.nanoTime();
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

        Timer(String name, Runnable onExpiry) {
            this.name = name;
            this.onExpiry = onExpiry;
        }

        @Override
        public synchronized void arm(long deadlineNs) {
            if (pending != null) {
                pending.cancel(false);
            }
            if (executor.isShutdown()) {
                pending = null;
                return;
            }
            pending = executor.schedule(this::fire, Math.max(0, deadlineNs - nanos()), TimeUnit.NANOSECONDS);
        }

        @Override
        public synchronized void cancel() {
            if (pending != null) {
                pending.cancel(false);
                pending = null;
            }
        }

        private void fire() {
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
