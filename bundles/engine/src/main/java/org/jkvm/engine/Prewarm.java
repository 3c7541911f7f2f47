package org.jkvm.engine;

import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.jkvm.hypervisor.HypervisorProvider;
import org.slf4j.LoggerFactory;

/**
 * Start-up helper for the engine process: on a daemon thread, sets up SLF4J (its provider lookup and
 * configuration file search, ~30 ms on a cold JVM) and then the native bindings (JNA's set-up and the libc
 * registrations of the process helpers and the memory layer, ~50 ms) and the backends
 * ({@link HypervisorProvider#prewarm()}: KVM's libc binding), while the main thread parses the command line and loads
 * the VM classes. The main thread waits for the logging part ({@link #awaitLogging()}) before anything logs, so
 * no logger is created during SLF4J's initialization; for the native classes it meets them initialized or waits
 * for the running initialization (the JVM serializes class initialization). Nothing runs twice.
 */
public final class Prewarm {
    /** Classes whose static initializers bind native code, in the order {@link Vm#create} needs them. */
    static final List<String> NATIVE_CLASSES = List.of("org.jkvm.posix.Posix", "org.jkvm.memory.Mman");
    /** Upper bound for {@link #awaitLogging()}: a stuck set-up must not hold the engine. */
    private static final long LOGGING_WAIT_MS = 2000;

    private static final CountDownLatch LOGGING = new CountDownLatch(1);
    private static volatile boolean started;

    private Prewarm() {
    }

    /** Starts the initialization in the background; returns at once. Call once, before anything logs. */
    public static void start() {
        started = true;
        // Two threads: the main thread needs logging first, but the native set-up is the longer of the two.
        daemon(Prewarm::initNative, "jkvm-prewarm-native");
        daemon(Prewarm::initLogging, "jkvm-prewarm-logging");
    }

    private static void daemon(Runnable task, String name) {
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        t.start();
    }

    /** Waits until SLF4J is set up by {@link #start()} (at most 2 s); returns at once if it was not started. */
    public static void awaitLogging() {
        if (!started) {
            return;
        }
        try {
            LOGGING.await(LOGGING_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void initLogging() {
        try {
            LoggerFactory.getILoggerFactory();
        } catch (RuntimeException | LinkageError e) {
            // The main thread meets the same failure when it first logs.
        } finally {
            LOGGING.countDown();
        }
    }

    static void initNative() {
        ClassLoader loader = Prewarm.class.getClassLoader();
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
            // Machine meets and reports the same problem when it opens the backend.
        }
    }
}
