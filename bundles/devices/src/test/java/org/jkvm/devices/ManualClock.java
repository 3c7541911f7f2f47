package org.jkvm.devices;

import java.util.ArrayList;
import java.util.List;

/** A {@link DeviceClock} that tests advance by hand; timers fire inside {@link #advance}, in deadline order. */
public final class ManualClock implements DeviceClock {
    private long now;
    private final List<Timer> timers = new ArrayList<>();

    /** @param start the clock's first reading, ns */
    public ManualClock(long start) {
        this.now = start;
    }

    @Override
    public synchronized long nanos() {
        return now;
    }

    @Override
    public synchronized DeviceTimer newTimer(String name, Runnable onExpiry) {
        Timer t = new Timer(onExpiry);
        timers.add(t);
        return t;
    }

    /** Moves time on by {@code ns}, firing every timer whose deadline it passes at that deadline. */
    public void advance(long ns) {
        long end;
        synchronized (this) {
            end = now + ns;
        }
        while (true) {
            Timer due = null;
            synchronized (this) {
                for (Timer t : timers) {
                    if (t.deadline <= end && (due == null || t.deadline < due.deadline)) {
                        due = t;
                    }
                }
                if (due == null) {
                    now = end;
                    return;
                }
                now = Math.max(now, due.deadline);
                due.deadline = Long.MAX_VALUE;
                due.fired++;
            }
            due.onExpiry.run();
        }
    }

    /** Moves time on by {@code ns} without firing any timer, as a timer thread that is late would leave it. */
    public synchronized void jump(long ns) {
        now += ns;
    }

    /** The earliest armed deadline, or {@link Long#MAX_VALUE}. */
    public synchronized long nextDeadline() {
        long d = Long.MAX_VALUE;
        for (Timer t : timers) {
            d = Math.min(d, t.deadline);
        }
        return d;
    }

    /** How often the timers fired. */
    public synchronized int fired() {
        int n = 0;
        for (Timer t : timers) {
            n += t.fired;
        }
        return n;
    }

    private final class Timer implements DeviceTimer {
        final Runnable onExpiry;
        long deadline = Long.MAX_VALUE;
        int fired;

        Timer(Runnable onExpiry) {
            this.onExpiry = onExpiry;
        }

        @Override
        public void arm(long deadlineNs) {
            synchronized (ManualClock.this) {
                deadline = deadlineNs;
            }
        }

        @Override
        public void cancel() {
            synchronized (ManualClock.this) {
                deadline = Long.MAX_VALUE;
            }
        }
    }
}
