package org.jkvm.monitor.warmup;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

import org.jkvm.posix.Posix;
import org.jkvm.vmstate.ProgressLog;

/**
 * The warm-up's threads: daemon threads (a warm-up never holds the JVM's exit) named {@code PREFIX-N}. The
 * background kind runs at the lowest scheduling priority (nice 19 for the thread only; Linux schedules threads as
 * tasks), so the guest and a real migration always come first, and with progress lines quiet
 * ({@link ProgressLog#quietly}), so an engine's log at info speaks of its real guest only. Thread-safe.
 */
public final class WarmUpThreads implements ThreadFactory {
    private final String prefix;
    private final boolean background;
    private final AtomicInteger count = new AtomicInteger();

    private WarmUpThreads(String prefix, boolean background) {
        this.prefix = prefix;
        this.background = background;
    }

    /** Threads for start-up work the main thread will soon wait for: normal priority, progress lines as usual. */
    public static WarmUpThreads startup() {
        return new WarmUpThreads("jkvm-prewarm", false);
    }

    /** Threads for work nobody waits for: nice 19, progress lines at debug. */
    public static WarmUpThreads background() {
        return new WarmUpThreads("migration-warm-up", true);
    }

    @Override
    public Thread newThread(Runnable task) {
        int n = count.incrementAndGet();
        Runnable body = background ? () -> {
            Posix.setThreadNice(Posix.gettid(), 19);
            ProgressLog.quietly(task);
        } : task;
        Thread t = new Thread(body, n == 1 ? prefix : prefix + "-" + n);
        t.setDaemon(true);
        if (background) {
            t.setPriority(Thread.MIN_PRIORITY);
        }
        return t;
    }
}
