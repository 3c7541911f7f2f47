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
final class Daemon implements Host {
    final Path state;
    final Path socket;
    final int port;
    final String engine;
    Framework framework;

    private final int migrationPorts;
    final String host;
    private final Map<String, String> extra;

    Daemon(Path state, String engineCommand) {
        this(state, engineCommand, 49152, "127.0.0.1");
    }

    /** A daemon on 127.0.0.1 with extra framework properties (e.g. {@code jkvm.kvm.device}). */
    Daemon(Path state, String engineCommand, int migrationPorts, Map<String, String> extra) {
        this(state, engineCommand, migrationPorts, "127.0.0.1", extra);
    }

    /**
     * A daemon that listens on {@code host} (a loopback address of its own, standing in for a separate host when
     * network namespaces are not used) and whose incoming migrations use ports {@code migrationPorts..+7},
     * advertised on that address.
     */
    Daemon(Path state, String engineCommand, int migrationPorts, String host) {
        this(state, engineCommand, migrationPorts, host, Map.of());
    }

    private Daemon(Path state, String engineCommand, int migrationPorts, String host, Map<String, String> extra) {
        this.extra = Map.copyOf(extra);
        this.migrationPorts = migrationPorts;
        this.host = host;
        this.state = state;
        this.socket = state.resolve("run/libvirt-sock");
        this.port = freePort(host);
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
                + classes.resolve("test-classes") + ":" + classes.resolve("classes") + ":"
                + RepoPaths.of("bundles", "json", "target", "classes") + " org.jkvm.driver.engine.FakeEngine";
    }

    void start() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("jkvm.state.dir", state.toString());
        p.put("jkvm.listen.unix", socket.toString());
        p.put("jkvm.listen.tcp", host + ":" + port);
        p.put("jkvm.engine.command", engine);
        p.put("jkvm.qemu.alias", "true");
        p.put("jkvm.migration.address", host);
        p.put("jkvm.migration.ports", migrationPorts + "-" + (migrationPorts + 7));
        // Benchmarks compare with and without the spare engine (-Djkvm.engine.spare=false); tests use the default.
        p.put("jkvm.engine.spare", System.getProperty("jkvm.engine.spare", "true"));
        p.putAll(extra);
        framework = FelixLauncher.start(bundles(), state.resolve("felix-cache"), p);
    }

    /** Stops the framework as SIGTERM would; engines keep running. */
    void stop() {
        if (framework != null) {
            FelixLauncher.stopQuietly(framework);
            framework = null;
        }
    }

    @Override
    public Path state() {
        return state;
    }

    @Override
    public String tcpUri() {
        return "jkvm+tcp://" + host + ":" + port + "/system";
    }

    @Override
    public String unixUri() {
        return "jkvm+unix:///system?socket=" + socket;
    }

    List<org.osgi.framework.Bundle> bundlesInstalled() {
        return List.of(framework.getBundleContext().getBundles());
    }

    private static int freePort(String host) {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName(host))) {
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
