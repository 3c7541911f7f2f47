package org.jkvm.daemon;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.jkvm.daemon.osgi.FelixLauncher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code jkvmd}: the jkvm daemon. Parses {@link DaemonOptions}, then runs the embedded OSGi framework with the
 * driver, RPC server and domain-xml bundles until it is stopped (SIGTERM or SIGINT stop it cleanly; running
 * guests keep running and are re-attached at the next start). Exit status 2 means bad options, 1 a start failure.
 */
public final class Main {
    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    /** Entry point. */
    public static void main(String[] args) {
        DaemonOptions o;
        try {
            o = DaemonOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("jkvmd: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (java.util.Arrays.asList(args).contains("--help")) {
            System.out.println(DaemonOptions.USAGE);
            return;
        }
        try {
            run(o);
        } catch (RuntimeException e) {
            LOG.error("jkvmd failed to start: {}", e.getMessage(), e);
            System.err.println("jkvmd: " + e.getMessage());
            System.exit(1);
        }
    }

    /** Starts the framework and blocks until it stops. */
    static void run(DaemonOptions o) {
        Path bundles = o.bundleDir() != null ? o.bundleDir() : Path.of(System.getProperty("jkvm.bundles",
                "driver/daemon/target/bundles"));
        Map<String, String> props = new java.util.LinkedHashMap<>(o.frameworkProperties());
        props.putIfAbsent("jkvm.engine.command", defaultEngine());
        if (o.insecureListen()) {
            props.put("jkvm.insecure.listen", "true");
        }
        try {
            Files.createDirectories(o.stateDir());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot create the state folder " + o.stateDir() + ": " + e.getMessage()
                    + "; choose another with --state-dir", e);
        }
        var fw = FelixLauncher.start(bundles, o.stateDir().resolve("felix-cache"), props);
        LOG.info("jkvmd ready: state {}, unix {}, tcp {}", o.stateDir(), o.listenUnix(), o.listenTcp());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> FelixLauncher.stopQuietly(fw), "jkvmd-shutdown"));
        try {
            fw.waitForStop(0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code $jkvm.home/bin/jkvm-engine}, where bin/jkvmd says the installation is. */
    static String defaultEngine() {
        String home = System.getProperty("jkvm.home", ".");
        return Path.of(home, "bin", "jkvm-engine").toAbsolutePath().normalize().toString();
    }
}
