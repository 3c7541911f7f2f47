package org.jkvm.migration;

/** A monotonic clock in nanoseconds, injected so rate limiting and convergence are tested on adjustable time. */
@FunctionalInterface
public interface NanoClock {
    /** The current time in nanoseconds, from an arbitrary origin. */
    long nanoTime();

    /** {@link System#nanoTime()}. */
    NanoClock SYSTEM = System::nanoTime;
}
