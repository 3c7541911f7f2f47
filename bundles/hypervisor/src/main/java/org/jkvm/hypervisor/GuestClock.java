package org.jkvm.hypervisor;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

/**
 * A VM's guest time in nanoseconds: the host's monotonic clock while the VM runs, frozen at one instant while it is
 * paused. Every clock a backend models in software (the software CPU's TSC, PIT, local APIC timers; the engine's
 * RTC, ACPI PM timer and UART timeouts) reads this one, so a pause stops them all at the same guest instant, a state
 * saved while paused is one instant of guest time however long the saving thread is held up between two devices,
 * a state restored while paused resumes as one, and {@link #resume()} lets them all go on together from there (the
 * guest does not see the pause, as under QEMU's TCG, whose virtual clock stops with the VM).
 *
 * <p>Never goes backwards, also across {@link #pause()} and {@link #resume()}: reads, pauses and resumes are
 * serialised on the clock, so a reader racing with a pause gets at most the frozen value. (A lock-free read that
 * re-checked the mode after reading the host clock failed GuestClockTest's race once at load 10, an 18 ms step
 * back: nothing orders the host clock's read before the re-check, so a reader descheduled there can hand out a time
 * past the pause.)
 *
 * <p>Thread-safe; an uncontended read costs the host clock and one uncontended lock.
 */
public final class GuestClock {
    /** The clock's mode and numbers, replaced as a whole. */
    private record Mode(boolean running, long offset, long frozen) {
    }

    private final LongSupplier host;
    private volatile Mode mode;
    private final List<Runnable> onResume = new CopyOnWriteArrayList<>();

    /** A running clock on {@link System#nanoTime()}, at 0 now. */
    public GuestClock() {
        this(System::nanoTime);
    }

    /**
     * A running clock on {@code hostNanos} (monotonic nanoseconds; tests inject one to stand for a host clock that
     * moves while a thread is held up), at 0 now.
     */
    public GuestClock(LongSupplier hostNanos) {
        this.host = hostNanos;
        this.mode = new Mode(true, hostNanos.getAsLong(), 0);
    }

    /** The guest's time in nanoseconds: monotonic, the origin (the clock's creation) means nothing. */
    public synchronized long nanos() {
        Mode m = mode;
        return m.running() ? host.getAsLong() - m.offset() : m.frozen();
    }

    /** Whether the clock is paused. */
    public boolean paused() {
        return !mode.running();
    }

    /**
     * Stops guest time at this instant: {@link #nanos()} returns the same value until {@link #resume()}. Call it once
     * the vCPUs are out of the guest. Idempotent.
     *
     * @return the guest time it stopped at
     */
    public synchronized long pause() {
        Mode m = mode;
        if (!m.running()) {
            return m.frozen();
        }
        long frozen = host.getAsLong() - m.offset();
        mode = new Mode(false, m.offset(), frozen);
        return frozen;
    }

    /**
     * Lets guest time go on from where {@link #pause()} stopped it, then runs the resume listeners (on this thread).
     * Idempotent.
     */
    public void resume() {
        synchronized (this) {
            Mode m = mode;
            if (m.running()) {
                return;
            }
            mode = new Mode(true, host.getAsLong() - m.frozen(), 0);
        }
        for (Runnable r : onResume) {
            r.run();
        }
    }

    /**
     * Adds {@code listener}, run by every {@link #resume()} that ends a pause, after the clock runs again (timer
     * threads that parked during the pause rearm their waits from it). It must not block.
     */
    public void onResume(Runnable listener) {
        onResume.add(listener);
    }
}
