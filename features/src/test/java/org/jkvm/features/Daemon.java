package org.jkvm.features;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jkvm.daemon.osgi.FelixLauncher;
import org.jkvm.testkit.RepoPaths;
import org.jkvm.testkit.Require;
import org.osgi.framework.launch.Framework;

/**
 * The daemon's OSGi framework run inside the test JVM, exactly as {@code bin/jkvmd} runs it (the bundles of
 * driver/daemon/target/bundles, the same framework properties), on a temporary state folder, a UNIX socket in it
 * and a free loopback TCP port.
 */
final class Daemon implements AutoCloseable {
    final Path state;
    final Path socket;
    final int port;
    final String engine;
    Framework framework;

    private final int migrationPorts;

    Daemon(Path state, String engineCommand) {
        this(state, engineCommand, 49152);
    }

    /** A daemon whose incoming migrations use ports {@code migrationPorts..+7}, advertised as 127.0.0.1. */
    Daemon(Path state, String engineCommand, int migrationPorts) {
        this.migrationPorts = migrationPorts;
        this.state = state;
        this.socket = state.resolve("run/libvirt-sock");
        this.port = freePort();
        this.engine = engineCommand;
        start();
    }

    static Path bundles() {
        return Require.path(RepoPaths.of("driver", "daemon", "target", "bundles"),
                "build the daemon first (mvn -B install -pl driver/daemon -am)");
    }

    /** The fake engine of the driver's tests, for system tests that need no real guest. */
    static String fakeEngine() {
        Path classes = RepoPaths.of("driver", "jkvm-driver", "target");
        Require.path(classes.resolve("test-classes/org/jkvm/driver/engine/FakeEngine.class"),
                "compile the driver's tests first (mvn -B install -pl driver/jkvm-driver)");
        return Path.of(System.getProperty("java.home"), "bin", "java") + " -Xmx64m -XX:TieredStopAtLevel=1 -cp "
                + classes.resolve("test-classes") + ":" + classes.resolve("classes") + " org.jkvm.driver.engine.FakeEngine";
    }

    void start() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("jkvm.state.dir", state.toString());
        p.put("jkvm.listen.unix", socket.toString());
        p.put("jkvm.listen.tcp", "127.0.0.1:" + port);
        p.put("jkvm.engine.command", engine);
        p.put("jkvm.qemu.alias", "true");
        p.put("jkvm.migration.address", "127.0.0.1");
        p.put("jkvm.migration.ports", migrationPorts + "-" + (migrationPorts + 7));
        framework = FelixLauncher.start(bundles(), state.resolve("felix-cache"), p);
    }

    /** Stops the framework as SIGTERM would; engines keep running. */
    void stop() {
        if (framework != null) {
            FelixLauncher.stopQuietly(framework);
            framework = null;
        }
    }

    String tcpUri() {
        return "jkvm+tcp://127.0.0.1:" + port + "/system";
    }

    String unixUri() {
        return "jkvm+unix:///system?socket=" + socket;
    }

    List<org.osgi.framework.Bundle> bundlesInstalled() {
        return List.of(framework.getBundleContext().getBundles());
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free TCP port on loopback", e);
        }
    }

    @Override
    public void close() {
        stop();
    }
}
