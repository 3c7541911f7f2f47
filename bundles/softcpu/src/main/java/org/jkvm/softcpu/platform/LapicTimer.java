package org.jkvm.softcpu.platform;

/**
 * The local APIC timer (SDM vol. 3, 10.5.4): one-shot and periodic modes counting the initial count down at the
 * bus clock divided by the divide configuration, and TSC-deadline mode (IA32_TSC_DEADLINE). The bus clock is
 * 1 GHz, as KVM's, so a guest that calibrated the timer on one backend keeps the right rate on the other. Periodic
 * periods are at least {@link #MIN_PERIOD_NANOS} (KVM's default limit), so a guest cannot flood itself.
 *
 * <p>Periodic ticks are reinjected as the PIT's are ({@link Pit8254}): a period that ends while the last tick is not
 * yet acknowledged (the EOI of the timer's vector: {@link #ack}) is owed, and the owed ones come one per EOI. The
 * software CPU is slow and shares the host, so a guest often runs for several periods with interrupts off or
 * without the host's CPU; a tick lost there is a jiffy lost, and Linux's early clocksource watchdog, which compares
 * jiffies with the TSC during boot, then declares the TSC unstable. Ticks are owed only while an EOI can come (the
 * LVT entry unmasked, the APIC enabled); any reprogramming of the timer drops the debt. Not thread-safe: the
 * {@link SoftIrqChip} lock guards it.
 */
final class LapicTimer extends Timers.Timer {
    static final int ONE_SHOT = 0;
    static final int PERIODIC = 1;
    static final int TSC_DEADLINE = 2;
    /** The shortest periodic period: 200 us. */
    static final long MIN_PERIOD_NANOS = 200_000;
    /** At most this many periodic ticks are owed; more are dropped. */
    static final int MAX_OWED = 1000;

    private final Timers timers;
    /** Raises the LVT timer interrupt (under the lock). */
    private final Runnable fire;
    /** The initial count register (unsigned 32 bits). */
    int initial;
    /** The divide configuration register (bits 0, 1 and 3). */
    int divide;
    int mode;
    /** When the count was last at its initial value (platform nanoseconds). */
    private long start;
    private boolean running;
    /** IA32_TSC_DEADLINE as last written (0 = disarmed). */
    long tscDeadline;
    /** Whether a tick raised now can be acknowledged (the LVT entry unmasked and the APIC enabled). */
    private final java.util.function.BooleanSupplier acknowledgeable;
    /** Periodic ticks that ended while the last one awaited its EOI. */
    int owedTicks;
    /** Whether the last periodic tick raised has not been acknowledged yet. */
    boolean tickInService;

    LapicTimer(Timers timers, Runnable fire, java.util.function.BooleanSupplier acknowledgeable) {
        this.timers = timers;
        this.fire = fire;
        this.acknowledgeable = acknowledgeable;
        timers.add(this);
    }

    /** log2 of the divisor: configuration 0b000 divides by 2, ..., 0b110 by 128, 0b111 by 1. */
    private int shift() {
        int d = (divide & 3) | (divide >> 1 & 4);
        return (d + 1) & 7;
    }

    /** The period in counts (periodic mode: at least the minimum period). */
    private long periodCounts() {
        long counts = initial & 0xffffffffL;
        if (mode == PERIODIC) {
            counts = Math.max(counts, MIN_PERIOD_NANOS >> shift());
        }
        return counts;
    }

    /** The current count register. */
    int current(long now) {
        if (!running || mode == TSC_DEADLINE) {
            return 0;
        }
        long elapsed = (now - start) >> shift();
        long p = periodCounts();
        if (mode == PERIODIC) {
            return (int) (p - elapsed % p);
        }
        return (int) Math.max(0, p - elapsed);
    }

    /** A write of the initial count: starts (or, with 0, stops) the count; ignored in TSC-deadline mode. */
    void writeInitial(int v, long now) {
        if (mode == TSC_DEADLINE) {
            return;
        }
        initial = v;
        dropOwed();
        startAt(now, v == 0 ? 0 : periodCounts());
    }

    /** Runs the count from {@code remaining} counts left (0 stops it). */
    private void startAt(long now, long remaining) {
        if (remaining <= 0 || initial == 0) {
            running = false;
            timers.cancel(this);
            return;
        }
        running = true;
        start = now - ((periodCounts() - remaining) << shift());
        timers.schedule(this, start + (periodCounts() << shift()));
    }

    /** A write of the divide configuration: the count goes on from its current value at the new rate. */
    void writeDivide(int v, long now) {
        int cur = current(now);
        boolean wasRunning = running;
        divide = v & 0xb;
        if (wasRunning) {
            startAt(now, cur & 0xffffffffL);
        }
    }

    /** The LVT timer's mode changed: entering or leaving TSC-deadline mode disarms the timer (as KVM does). */
    void setMode(int newMode, long now) {
        if (newMode == mode) {
            return;
        }
        if ((newMode == TSC_DEADLINE) != (mode == TSC_DEADLINE)) {
            running = false;
            initial = 0;
            tscDeadline = 0;
            dropOwed();
            timers.cancel(this);
            mode = newMode;
            return;
        }
        int cur = current(now);
        mode = newMode;
        dropOwed();
        if (running) {
            startAt(now, cur & 0xffffffffL);
        }
    }

    /**
     * IA32_TSC_DEADLINE: arms the timer for {@code nanosUntil} from now (0 or less: at once); 0 disarms. Outside
     * TSC-deadline mode the write is ignored, as KVM does.
     */
    void writeDeadline(long value, long nanosUntil, long now) {
        if (mode != TSC_DEADLINE) {
            return;
        }
        tscDeadline = value;
        armDeadline(nanosUntil, now);
    }

    /** Schedules the stored deadline, {@code nanosUntil} away (after a restore or a TSC change). */
    void armDeadline(long nanosUntil, long now) {
        if (mode != TSC_DEADLINE) {
            return;
        }
        if (tscDeadline == 0) {
            timers.cancel(this);
            return;
        }
        timers.schedule(this, now + Math.max(0, nanosUntil));
    }

    @Override
    void expire(long now) {
        if (mode == TSC_DEADLINE) {
            if (tscDeadline != 0) {
                tscDeadline = 0;
                fire.run();
            }
            return;
        }
        if (!running) {
            return;
        }
        if (mode == PERIODIC) {
            long p = periodCounts() << shift();
            long periods = Math.max(1, (now - start) / p);   // the timer thread may be late by several
            start += periods * p;
            timers.schedule(this, start + p);
            periodicTicks((int) Math.min(periods, MAX_OWED));
        } else {
            running = false;
            fire.run();
        }
    }

    private void periodicTicks(int ticks) {
        if (!acknowledgeable.getAsBoolean()) {
            dropOwed();
            fire.run();
            return;
        }
        owedTicks = Math.min(MAX_OWED, owedTicks + ticks);
        raiseOwed();
    }

    private void raiseOwed() {
        if (owedTicks > 0 && !tickInService) {
            owedTicks--;
            tickInService = true;
            fire.run();
        }
    }

    /** The guest's EOI of the timer's vector: the next owed tick may come. */
    void ack() {
        if (tickInService) {
            tickInService = false;
            if (mode == PERIODIC && running) {
                raiseOwed();
            } else {
                owedTicks = 0;
            }
        }
    }

    private void dropOwed() {
        owedTicks = 0;
        tickInService = false;
    }

    /** Restores the count registers with the current count as saved; the count goes on from there. */
    void restore(int initialCount, int divideConfig, int newMode, int currentCount, long now) {
        mode = newMode;
        initial = initialCount;
        divide = divideConfig & 0xb;
        timers.cancel(this);
        running = false;
        dropOwed();
        if (mode != TSC_DEADLINE && initial != 0) {
            long cur = currentCount & 0xffffffffL;
            if (cur == 0 && mode == PERIODIC) {
                cur = periodCounts();
            }
            startAt(now, Math.min(cur, periodCounts()));
        }
    }

    /** Stops everything (the APIC was disabled or reset). */
    void reset() {
        running = false;
        initial = 0;
        divide = 0;
        mode = ONE_SHOT;
        tscDeadline = 0;
        dropOwed();
        timers.cancel(this);
    }
}
