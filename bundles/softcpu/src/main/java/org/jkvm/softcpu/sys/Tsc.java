package org.jkvm.softcpu.sys;

/**
 * The virtual time-stamp counter: {@code khz} ticks per millisecond of a clock's nanoseconds, plus an offset. In a
 * VM that clock is the VM's guest time ({@code GuestClock}, which the platform's timers read too): it counts while
 * the vCPU is merely out of the guest, and stands still while the VM is paused, so the TSC and the timers stop and
 * go on at the same guest instant. It never goes backwards: setting a value moves the offset, a rate change or a new
 * clock keeps the current value.
 *
 * <p>Thread-safety: the vCPU thread reads it; state methods run while the vCPU is stopped.
 */
public final class Tsc {
    private java.util.function.LongSupplier clock;
    private long khz;
    /** Integer part of ticks per nanosecond. */
    private long whole;
    /** Fractional part of ticks per nanosecond, as an unsigned 64-bit binary fraction. */
    private long frac;
    private long offset;
    /** The highest value handed out, so that a rate change or restore can never make it go back. */
    private long last;

    public Tsc(long khz) {
        this(khz, System::nanoTime);
    }

    /** A TSC driven by {@code clockNanos} (monotonic nanoseconds; tests inject one). */
    public Tsc(long khz, java.util.function.LongSupplier clockNanos) {
        this.clock = clockNanos;
        setKhz(khz);
    }

    /** Counts {@code clockNanos} from now on, keeping the current value (a vCPU joins its VM's guest time). */
    public void useClock(java.util.function.LongSupplier clockNanos) {
        long now = read();
        clock = clockNanos;
        set(now);
    }

    /** The rate in kHz. */
    public long khz() {
        return khz;
    }

    /** Changes the rate, keeping the current value. */
    public void setKhz(long newKhz) {
        if (newKhz <= 0) {
            throw new IllegalArgumentException("TSC rate must be positive, got " + newKhz + " kHz");
        }
        long now = khz == 0 ? 0 : read();
        khz = newKhz;
        whole = newKhz / 1_000_000;
        long rem = newKhz % 1_000_000;
        // frac = rem * 2^64 / 1e6, computed without overflow.
        frac = Long.divideUnsigned(rem << 32, 1_000_000) << 32
                | Long.divideUnsigned(Long.remainderUnsigned(rem << 32, 1_000_000) << 32, 1_000_000);
        offset = 0;
        offset = now - scaled(clock.getAsLong());
    }

    private long scaled(long nanos) {
        long hi = Math.multiplyHigh(nanos, frac) + (frac < 0 ? nanos : 0);
        return nanos * whole + hi;
    }

    /** The current value. */
    public long read() {
        long v = offset + scaled(clock.getAsLong());
        if (v < last) {
            return last;
        }
        last = v;
        return v;
    }

    /**
     * Nanoseconds of the clock until the TSC reaches {@code value} (rounded up; 0 when it has already), for timers
     * armed in TSC units (IA32_TSC_DEADLINE). Beyond about an hour at GHz rates the sub-millisecond part is dropped.
     */
    public long nanosUntil(long value) {
        long delta = value - read();
        if (delta <= 0) {
            return 0;
        }
        if (delta > Long.MAX_VALUE / 1_000_000) {
            return delta / khz * 1_000_000;
        }
        return (delta * 1_000_000 + khz - 1) / khz;
    }

    /** Sets the current value (WRMSR IA32_TSC, a restore). */
    public void set(long value) {
        offset = 0;
        offset = value - scaled(clock.getAsLong());
        last = value;
    }
}
