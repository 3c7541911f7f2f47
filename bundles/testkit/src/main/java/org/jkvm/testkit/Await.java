package org.jkvm.testkit;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

import org.junit.jupiter.api.Assertions;

/**
 * Waits in tests for a condition instead of sleeping a guessed time: the condition is checked at once, then again
 * after short pauses that grow from 1 ms to 50 ms, so a test goes on as soon as the condition holds and costs
 * nothing on a fast machine.
 *
 * <p>The timeout is not an assertion about speed: it only ends a wait that would otherwise hang, so it is wide
 * ({@link #PATIENCE}, 60 s, unless a test has a reason to choose another), and on a slow or loaded host a test
 * still passes. When it runs out, the test fails with the description and the last value seen. Thread-safe (each
 * call waits on its own).
 */
public final class Await {
    /** How long a condition may take by default before the test fails: far beyond any healthy case. */
    public static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final long FIRST_PAUSE_NANOS = 1_000_000L;
    private static final long MAX_PAUSE_NANOS = 50_000_000L;

    private Await() {
    }

    /** A condition that may throw (I/O on a socket, a process's output). */
    @FunctionalInterface
    public interface Condition {
        /** Whether the awaited state has been reached. */
        boolean holds() throws Exception;
    }

    /** A value that may throw while it is read. */
    @FunctionalInterface
    public interface Probe<T> {
        /** The current value. */
        T read() throws Exception;
    }

    /**
     * Waits up to {@link #PATIENCE} until {@code condition} holds.
     *
     * @param what what is awaited, for the failure message ("the client's session is released")
     */
    public static void until(String what, Condition condition) {
        until(what, PATIENCE, condition);
    }

    /** Waits up to {@code timeout} until {@code condition} holds; fails the test naming {@code what} otherwise. */
    public static void until(String what, Duration timeout, Condition condition) {
        value(what, timeout, () -> condition.holds(), Boolean::booleanValue);
    }

    /**
     * Reads {@code probe} until its value satisfies {@code done}, for up to {@link #PATIENCE}, and returns that value;
     * fails the test with {@code what} and the last value otherwise.
     */
    public static <T> T value(String what, Probe<T> probe, Predicate<? super T> done) {
        return value(what, PATIENCE, probe, done);
    }

    /** {@link #value(String, Probe, Predicate)} with an explicit timeout. */
    public static <T> T value(String what, Duration timeout, Probe<T> probe, Predicate<? super T> done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = FIRST_PAUSE_NANOS;
        while (true) {
            T v = read(what, probe);
            if (done.test(v)) {
                return v;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return Assertions.fail("waited " + timeout.toMillis() + " ms for: " + what + "; last value: " + v);
            }
            LockSupport.parkNanos(Math.min(pause, left));
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                return Assertions.fail("interrupted while waiting for: " + what);
            }
            pause = Math.min(pause * 2, MAX_PAUSE_NANOS);
        }
    }

    private static <T> T read(String what, Probe<T> probe) {
        try {
            return probe.read();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            return Assertions.fail("reading the state failed while waiting for: " + what, e);
        }
    }
}
