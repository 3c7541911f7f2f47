package org.jkvm.migration;

/**
 * A token bucket that limits the iterative rounds to {@code bytesPerSecond}. The bucket holds at most 100 ms of
 * budget (QEMU's rate-limit window), so a pause in sending does not buy a long burst afterwards. A send larger
 * than the budget borrows from the future: the caller then waits until the debt is repaid.
 *
 * <p>Time comes from an injected {@link NanoClock} and waiting from an injected {@link Sleeper}, so tests run it
 * on an adjustable clock. Thread-safe: {@link #setRate} may be called while another thread sends.
 */
public final class RateLimiter {
    /** Waits; tests advance their clock instead. */
    @FunctionalInterface
    public interface Sleeper {
        /** Sleeps about {@code nanos} nanoseconds. */
        void sleepNanos(long nanos) throws InterruptedException;

        /** {@link Thread#sleep(long, int)}. */
        Sleeper SYSTEM = nanos -> Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
    }

    /** The bucket holds this much time worth of bytes. */
    public static final long WINDOW_NANOS = 100_000_000L;

    private final NanoClock clock;
    private final Sleeper sleeper;
    private long rate;
    private long capacity;
    private long tokens;
    private long lastNanos;

    /**
     * @param bytesPerSecond the limit; 0 means unlimited
     * @param clock          time source
     * @param sleeper        how to wait
     */
    public RateLimiter(long bytesPerSecond, NanoClock clock, Sleeper sleeper) {
        this.clock = clock;
        this.sleeper = sleeper;
        setRate(bytesPerSecond);
    }

    /** Changes the limit (0 = unlimited) and refills the bucket. */
    public synchronized void setRate(long bytesPerSecond) {
        if (bytesPerSecond < 0) {
            throw new MigrationException("bandwidth " + bytesPerSecond + " B/s is negative; use 0 for unlimited");
        }
        rate = bytesPerSecond;
        capacity = Math.max(1, (long) (bytesPerSecond * (WINDOW_NANOS / 1e9)));
        tokens = capacity;
        lastNanos = clock.nanoTime();
    }

    /** The limit in bytes per second, 0 when unlimited. */
    public synchronized long rate() {
        return rate;
    }

    /**
     * Takes {@code bytes} from the bucket and returns how long the caller must wait before sending more, in
     * nanoseconds (0 when within budget or unlimited). Pure bookkeeping: it never sleeps.
     */
    public synchronized long reserve(long bytes) {
        if (rate == 0) {
            return 0;
        }
        long now = clock.nanoTime();
        long elapsed = Math.max(0, now - lastNanos);
        lastNanos = now;
        double refill = elapsed * (rate / 1e9);
        tokens = (long) Math.min(capacity, tokens + refill);
        tokens -= bytes;
        if (tokens >= 0) {
            return 0;
        }
        return (long) Math.ceil(-tokens * 1e9 / rate);
    }

    /** {@link #reserve} then waits as told. */
    public void acquire(long bytes) throws InterruptedException {
        long wait = reserve(bytes);
        if (wait > 0) {
            sleeper.sleepNanos(wait);
        }
    }
}
