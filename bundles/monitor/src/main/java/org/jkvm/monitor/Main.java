package org.jkvm.monitor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.jkvm.engine.CharDev;
import org.jkvm.engine.EngineException;
import org.jkvm.engine.Vm;
import org.jkvm.engine.VmConfig;
import org.jkvm.engine.VmConfigParser;
import org.jkvm.engine.VmExit;
import org.jkvm.monitor.warmup.EngineWarmUp;

/**
 * The engine process: parses the QEMU-style command line, builds the {@link Vm}, serves the monitors, runs the
 * guest and exits with its status (the debug-exit value; 0 after {@code quit}; 1 after a failure).
 *
 * <p>Every error the user can cause (bad option, missing firmware, no KVM) is printed as one sentence on stderr
 * with exit status 1, never a stack trace; {@code JKVM_DEBUG=1} turns on debug logging with the traces.
 */
public final class Main {
    private static final String PROG = "jkvm-engine";

    private Main() {
    }

    /** The entry point; never returns. */
    public static void main(String[] args) {
        boolean debug = "1".equals(System.getenv("JKVM_DEBUG"));
        setUpLogging(debug);
        List<String> argv = Arrays.asList(args);
        if (argv.contains("-help") || argv.contains("--help") || argv.contains("-h")) {
            System.out.print(Usage.TEXT);
            System.exit(0);
        }
        if (argv.contains("-version") || argv.contains("--version")) {
            System.out.println(PROG + " 0.1.0 (jkvm)");
            System.exit(0);
        }
        int status;
        // A spare's rehearsal VM gets monitors without a migration warm-up: closing them must not stop the process's.
        EngineWarmUp warmUp = EngineWarmUp.create((vm, c, servers) -> Monitors.start(vm, c, servers, null));
        if (!argv.isEmpty() && argv.get(0).equals("-standby") && argv.size() <= 2) {
            // -standby [LABEL]: the label only shows in ps (a daemon names its state folder there).
            try {
                argv = Standby.await(warmUp);
            } catch (RuntimeException e) {
                System.exit(fail(e, debug));
            }
            if (argv.isEmpty()) {
                System.exit(0);
            }
        } else {
            // SLF4J's and JNA's set-up on another core while this thread parses the options.
            warmUp.startup();
        }
        Daemon.rememberArgs(argv);
        try {
            VmConfig config = VmConfigParser.parse(argv);
            warmUp.awaitLogging();
            status = run(config, warmUp);
        } catch (RuntimeException e) {
            status = fail(e, debug);
        }
        System.exit(status);
    }

    /** SLF4J's settings for the engine: simple logger on stderr, warn (debug with JKVM_DEBUG=1) unless given. */
    static void setUpLogging(boolean debug) {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", debug ? "debug" : "warn");
        }
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        if (System.getProperty("slf4j.provider") == null) {
            // Named, so SLF4J skips its ServiceLoader scan; its note about that is below the warn level.
            System.setProperty("slf4j.provider", "org.slf4j.simple.SimpleServiceProvider");
            System.setProperty("slf4j.internal.verbosity", "WARN");
        }
    }

    /**
     * Runs one VM to its end.
     *
     * @return the process exit status
     */
    static int run(VmConfig config, EngineWarmUp warmUp) {
        if (config.daemonize() && !Daemon.isChild()) {
            return Daemon.relaunch(config);
        }
        writePidfile(config.pidfile());
        List<AutoCloseable> servers = new ArrayList<>();
        java.util.concurrent.CountDownLatch cleaned = new java.util.concurrent.CountDownLatch(1);
        try (Vm vm = Vm.createCold(config)) {
            // Monitors and the incoming listener first (a migration's Prepare waits for them), then the warm-up.
            Monitors.start(vm, config, servers, warmUp.migration());
            // The VM's own migration paths, then scratch migrations on a background thread, so the first real one
            // runs compiled code.
            warmUp.engineReady(vm);
            // SIGTERM/SIGINT: end the guest, then let this thread remove the sockets and the pid file.
            Thread hook = new Thread(() -> {
                vm.quit();
                try {
                    cleaned.await(5, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "jkvm-sigterm");
            Runtime.getRuntime().addShutdownHook(hook);
            if (!config.startPaused() && config.incoming() == null) {
                vm.cont();
            }
            Daemon.signalReady();
            VmExit exit = vm.awaitExit();
            if (exit.failure()) {
                System.err.println(PROG + ": " + exit.reason());
                if (!exit.registerDump().isEmpty()) {
                    System.err.println(exit.registerDump());
                }
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // already shutting down (SIGTERM): the hook is running
            }
            return exit.status();
        } finally {
            for (int i = servers.size() - 1; i >= 0; i--) {
                try {
                    servers.get(i).close();
                } catch (Exception e) {
                    org.slf4j.LoggerFactory.getLogger(Main.class).debug("closing a monitor failed", e);
                }
            }
            deletePidfile(config.pidfile());
            cleaned.countDown();
        }
    }

    private static int fail(RuntimeException e, boolean debug) {
        String msg = e.getMessage();
        boolean known = e instanceof EngineException || e.getClass().getName().startsWith("org.jkvm.");
        if (!known || msg == null || msg.isBlank()) {
            msg = "unexpected error: " + e;
        }
        System.err.println(PROG + ": " + msg);
        if (debug) {
            e.printStackTrace();
        }
        return 1;
    }

    private static void writePidfile(Path pidfile) {
        if (pidfile == null) {
            return;
        }
        try {
            Files.writeString(pidfile, ProcessHandle.current().pid() + "\n", StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new EngineException("cannot write the pid file " + pidfile + ": " + e.getMessage()
                    + "; check that its folder exists and is writable", e);
        }
    }

    private static void deletePidfile(Path pidfile) {
        if (pidfile != null) {
            try {
                Files.deleteIfExists(pidfile);
            } catch (IOException e) {
                org.slf4j.LoggerFactory.getLogger(Main.class).debug("cannot delete {}", pidfile, e);
            }
        }
    }

    /** Whether the monitor uses the terminal (then serial stdio is refused by VmConfig). */
    static boolean monitorOnStdio(VmConfig c) {
        return c.monitor() instanceof CharDev.Stdio;
    }
}
