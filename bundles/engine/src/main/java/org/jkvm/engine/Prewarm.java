package org.jkvm.engine;

import java.util.List;

import org.slf4j.LoggerFactory;

/**
 * Start-up helper for the engine process: initializes the native bindings (JNA's set-up and the libc
 * registrations of the KVM and memory layers, ~50 ms on a cold JVM) on a daemon thread while the main thread
 * parses the command line and loads the VM classes. The main thread later meets those classes initialized, or
 * waits for the running initialization (the JVM serializes class initialization); nothing runs twice.
 */
public final class Prewarm {
    /** Classes whose static initializers bind native code, in the order {@link Vm#create} needs them. */
    static final List<String> NATIVE_CLASSES = List.of("org.jkvm.kvm.LibC", "org.jkvm.memory.Mman");

    private Prewarm() {
    }

    /** Starts the initialization in the background; returns at once. */
    public static void start() {
        Thread t = new Thread(Prewarm::run, "jkvm-prewarm");
        t.setDaemon(true);
        t.start();
    }

    static void run() {
        ClassLoader loader = Prewarm.class.getClassLoader();
        for (String name : NATIVE_CLASSES) {
            try {
                Class.forName(name, true, loader);
            } catch (Throwable e) {
                // The main thread meets the same failure when it builds the VM and reports it there.
                LoggerFactory.getLogger(Prewarm.class).debug("pre-initializing {} failed", name, e);
                return;
            }
        }
    }
}
