package org.jkvm.softcpu.platform;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The deadlines of one VM's timers (the PIT's channel 0, each local APIC timer) on one daemon thread, started when
 * the first timer is armed: it sleeps until the earliest deadline, then fires the due timers under the platform
 * lock. The vCPUs never poll for timers, so guest code runs at full speed while none is due; a timer that fires
 * wakes its vCPU (running or halted) through the interrupt it raises.
 *
 * <p>Times are the platform clock's nanoseconds (guest time, the VM's {@code GuestClock}, which the virtual TSC reads
 * too). While the VM is paused that clock stands still and the thread parks until {@link #wake()} (the clock's resume
 * listener), so no timer fires in a pause and each one fires after it at the same guest time as without it; the
 * timers already due at the paused instant (a thread late on a loaded host) are fired by the pause itself.
 * Every method except {@link #close()} and {@link #wake()} needs the platform lock held; the thread takes it to fire.
 */
final class Timers implements AutoCloseable {
    /** "Not armed". */
    static final long NEVER = Long.MAX_VALUE;

    /** One timer: its deadline ({@link #NEVER} when not armed) and what happens then. */
    abstract static class Timer {
        long due = NEVER;

        /** Called under the lock once {@code now >= due} (with {@code due} already reset to NEVER). */
        abstract void expire(long now);
    }

    private final Object lock;
    private final LongSupplier clock;
    private final BooleanSupplier paused;
    private final boolean threaded;
    private final List<Timer> timers = new ArrayList<>();
    private final String name;
    private Thread thread;
    /** When the thread will look next ({@link #NEVER}: it sleeps until unparked). */
    private volatile long wakeAt = NEVER;
    private volatile boolean closed;

    /**
     * @param lock     the platform lock the timers' state is guarded by
     * @param clock    nanoseconds of guest time
     * @param paused   whether {@code clock} stands still (the VM is paused)
     * @param threaded false for tests that call {@link #runDue()} themselves on an injected clock
     * @param name     the thread's name
     */
    Timers(Object lock, LongSupplier clock, BooleanSupplier paused, boolean threaded, String name) {
        this.lock = lock;
        this.clock = clock;
        this.paused = paused;
        this.threaded = threaded;
        this.name = name;
    }

    /** The current time in nanoseconds. */
    long now() {
        return clock.getAsLong();
    }

    /** Adds a timer (not armed). */
    void add(Timer t) {
        timers.add(t);
    }

    /** Removes a timer (its vCPU is gone). */
    void remove(Timer t) {
        timers.remove(t);
    }

    /** Arms {@code t} for {@code due} (NEVER disarms it). */
    void schedule(Timer t, long due) {
        t.due = due;
        if (due < wakeAt && threaded && !closed) {
            wakeAt = due;
            if (thread == null) {
                thread = new Thread(this::loop, name);
                thread.setDaemon(true);
                thread.start();
            } else {
                LockSupport.unpark(thread);
            }
        }
    }

    /** Disarms {@code t}. */
    void cancel(Timer t) {
        t.due = NEVER;
    }

    /** Fires every timer that is due and returns the earliest remaining deadline (NEVER if none). */
    long runDue() {
        long now = clock.getAsLong();
        long next = NEVER;
        for (int i = 0; i < timers.size(); i++) {
            Timer t = timers.get(i);
            if (t.due <= now) {
                t.due = NEVER;
                t.expire(now);
            }
            next = Math.min(next, t.due);
        }
        return next;
    }

    private void loop() {
        while (!closed) {
            long next;
            boolean stopped;
            synchronized (lock) {
                // never while paused: a timer firing between the saves of two models would be in one and not the
                // other; the pause itself fires the ones already due (SoftIrqChip.firePausedInstant)
                stopped = paused.getAsBoolean();
                next = stopped ? NEVER : runDue();
                wakeAt = next;
            }
            if (next == NEVER || stopped) {
                LockSupport.park(this);
            } else {
                long wait = next - clock.getAsLong();
                if (wait > 0) {
                    LockSupport.parkNanos(this, wait);
                }
            }
        }
    }

    /** Makes the thread look at the deadlines again (guest time goes on after a pause); any thread. */
    void wake() {
        Thread t;
        synchronized (lock) {
            t = thread;
        }
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** Stops the thread; idempotent. */
    @Override
    public void close() {
        closed = true;
        Thread t;
        synchronized (lock) {
            t = thread;
        }
        if (t != null) {
            LockSupport.unpark(t);
        }
    }
}
