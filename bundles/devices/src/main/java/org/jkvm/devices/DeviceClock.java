package org.jkvm.devices;

/**
 * Guest time for devices with timers (the RTC): a monotonic clock and one-shot timers on it. Devices own no
 * threads; the engine fires the timers on a thread of its own, so a device's timer callback synchronises with its
 * register accesses like any other caller. Tests use a clock they advance by hand.
 */
public interface DeviceClock {
    /** The guest's time in nanoseconds (monotonic; the origin means nothing). */
    long nanos();

    /**
     * A new, disarmed timer that runs {@code onExpiry} once its deadline has passed (on the engine's timer thread,
     * never inside {@link DeviceTimer#arm}).
     *
     * @param name      for the logs, e.g. {@code "rtc"}
     * @param onExpiry  what to run; must not block
     */
    DeviceTimer newTimer(String name, Runnable onExpiry);

    /** A one-shot timer of a {@link DeviceClock}. Thread-safe. */
    interface DeviceTimer {
        /** Arms the timer for {@code deadlineNs} of {@link #nanos()}, replacing an earlier deadline. */
        void arm(long deadlineNs);

        /** Disarms the timer; a callback already under way may still run. */
        void cancel();
    }
}
