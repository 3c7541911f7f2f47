package org.jkvm.monitor.warmup;

import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

import org.jkvm.hypervisor.HypervisorProvider;
import org.slf4j.LoggerFactory;

/**
 * Start-up help for the engine process: on two threads, sets up SLF4J (its provider lookup and configuration file
 * search, ~30 ms on a cold JVM) and the native bindings (JNA's set-up and the libc registrations of the process
 * helpers and the memory layer, ~50 ms) with the backends ({@link HypervisorProvider#prewarm()}: KVM's libc binding),
 * while the main thread parses the command line and loads the VM classes. The main thread waits for the logging
 * part ({@link #awaitLogging()}) before anything logs, so no logger is created during SLF4J's initialization; the
 * native classes it meets initialized or waits for their running initialization (the JVM serializes class
 * initialization). Nothing runs twice. Thread-safe.
 */
public final class StartupPrewarm {
    /** Classes whose static initializers bind native code, in the order {@code Vm.create} needs them. */
    public static final List<String> NATIVE_CLASSES = List.of("org.jkvm.posix.Posix", "org.jkvm.memory.Mman");
    /** Upper bound for {@link #awaitLogging()}: a stuck set-up must not hold the engine. */
    private static final long LOGGING_WAIT_MS = 2000;

    private final ThreadFactory threads;
    private final CountDownLatch logging = new CountDownLatch(1);
    private volatile boolean started;

    /** @param threads makes the two set-up threads (production: {@link WarmUpThreads#startup()}) */
    public StartupPrewarm(ThreadFactory threads) {
        this.threads = threads;
    }

    /** Starts the set-up in the background and returns at once; a second call does nothing. */
    public synchronized void start() {
        if (started) {
            return;
        }
        started = true;
        // Two threads: the main thread needs logging first, but the native set-up is the longer of the two.
        threads.newThread(StartupPrewarm::initNative).start();
        threads.newThread(this::initLogging).start();
    }

    /** Waits until SLF4J is set up by {@link #start()} (at most 2 s); returns at once if it was not started. */
    public void awaitLogging() {
        if (!started) {
            return;
        }
        try {
            logging.await(LOGGING_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void initLogging() {
        try {
            LoggerFactory.getILoggerFactory();
        } catch (RuntimeException | LinkageError e) {
            // The main thread meets the same failure when it first logs.
        } finally {
            logging.countDown();
        }
    }

    private static void initNative() {
        ClassLoader loader = StartupPrewarm.class.getClassLoader();
        for (String name : NATIVE_CLASSES) {
            try {
                Class.forName(name, true, loader);
            } catch (Throwable e) {
                // The main thread meets the same failure when it builds the VM and reports it there (not logged
                // here: SLF4J may still be setting up on the other thread).
                return;
            }
        }
        try {
            for (HypervisorProvider p : ServiceLoader.load(HypervisorProvider.class, loader)) {
                p.prewarm();
            }
        } catch (RuntimeException | java.util.ServiceConfigurationError | LinkageError e) {
            // The engine meets and reports the same problem when it opens the backend.
        }
    }
}
