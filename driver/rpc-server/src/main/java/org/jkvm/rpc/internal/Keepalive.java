package org.jkvm.rpc.internal;

import java.util.function.LongSupplier;

/**
 * Server-side keepalive for one client (libvirt's keepalive program): once the client has asked for feature 10,
 * every {@code intervalMs} of silence earns it a PING; after {@code count} unanswered PINGs the client is
 * considered gone. Any received byte resets the count. The clock is injected so tests can drive it.
 * Thread-safe.
 */
public final class Keepalive {
    /**
     * Keepalive settings.
     *
     * @param intervalMs silence before each PING; libvirtd uses 5000
     * @param count      PINGs without any answer before closing; libvirtd uses 5
     * @param nanoClock  a monotonic clock in nanoseconds
     */
    public record Settings(long intervalMs, int count, LongSupplier nanoClock) {
        /** libvirtd's defaults on the system clock. */
        public static Settings defaults() {
            return new Settings(5000, 5, System::nanoTime);
        }
    }

    /** What the tick asks the session to do. */
    public enum Action { NONE, PING, DEAD }

    private final Settings settings;
    private volatile boolean enabled;
    private volatile long lastReceived;
    private long lastPing;
    private int unanswered;

    Keepalive(Settings settings) {
        this.settings = settings;
        this.lastReceived = settings.nanoClock().getAsLong();
    }

    Settings settings() {
        return settings;
    }

    void enable() {
        enabled = true;
    }

    synchronized void received() {
        lastReceived = settings.nanoClock().getAsLong();
        unanswered = 0;
    }

    synchronized Action tick() {
        if (!enabled || settings.intervalMs() <= 0) {
            return Action.NONE;
        }
        long now = settings.nanoClock().getAsLong();
        long intervalNs = settings.intervalMs() * 1_000_000L;
        if (now - lastReceived < intervalNs || now - lastPing < intervalNs && unanswered > 0) {
            return Action.NONE;
        }
        if (unanswered >= settings.count()) {
            return Action.DEAD;
        }
        unanswered++;
        lastPing = now;
        return Action.PING;
    }
}
