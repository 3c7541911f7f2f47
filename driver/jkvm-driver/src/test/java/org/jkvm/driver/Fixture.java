package org.jkvm.driver;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import org.jkvm.domainxml.KvmDevice;
import org.jkvm.remote.DomainRef;
import org.jkvm.remote.spi.DriverConnection;
import org.jkvm.testkit.Await;

/**
 * A driver over a temporary state folder whose engines are {@code FakeEngine} processes. Its test domains have the
 * type this host can start ({@link #TYPE}: {@code kvm} where KVM works, else {@code qemu}), so the same tests run on
 * hosts with and without KVM.
 */
final class Fixture implements AutoCloseable {
    /** The domain type of {@link #xml}: by the KVM device rule of the engine and the daemon. */
    static final String TYPE = KvmDevice.probe().usable() ? "kvm" : "qemu";

    final Path state;
    private final int portFrom;
    private final Path kvmDevice;
    DomainManager manager;
    DriverConnection conn;

    Fixture(Path state) {
        this(state, 49152);
    }

    /** A host whose incoming migrations use ports {@code portFrom..portFrom+5} and advertise 127.0.0.1. */
    Fixture(Path state, int portFrom) {
        this(state, portFrom, KvmDevice.configured());
    }

    /** The same with another KVM device (a missing path: a host without KVM). */
    Fixture(Path state, int portFrom, Path kvmDevice) {
        this.state = state;
        this.portFrom = portFrom;
        this.kvmDevice = kvmDevice;
        open();
    }

    /** The command that runs the fake engine from this module's compiled classes. */
    static List<String> fakeEngine() {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = Path.of("target/test-classes").toAbsolutePath() + ":" + Path.of("target/classes").toAbsolutePath()
                + ":" + codeSource(org.jkvm.json.Json.class);
        return List.of(java, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp", cp,
                "org.jkvm.driver.engine.FakeEngine");
    }

    /** The jar or folder a class was loaded from (the fake engine needs the shared JSON codec too). */
    private static String codeSource(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException("cannot locate " + type.getName(), e);
        }
    }

    void open() {
        DriverConfig cfg = new DriverConfig(state, fakeEngine(), true, "127.0.0.1", portFrom, portFrom + 5,
                Duration.ofSeconds(30)).withKvmDevice(kvmDevice);
        manager = new DomainManager(cfg, new XmlDefinitions(state, "jkvm-engine"));
        conn = new JkvmDriver(manager, true).open("jkvm:///system", false);
    }

    /** Simulates a daemon restart: detach from engines, open the state folder again. */
    void restart() {
        manager.close();
        open();
    }

    static String xml(String name, UUID uuid) {
        return xml(TYPE, name, uuid);
    }

    /** A small guest of domain type {@code type}. */
    static String xml(String type, String name, UUID uuid) {
        return "<domain type='" + type + "'>\n  <name>" + name + "</name>\n  <uuid>" + uuid + "</uuid>\n"
                + "  <memory unit='MiB'>16</memory>\n  <vcpu>1</vcpu>\n  <os>\n    <type arch='x86_64'>hvm</type>\n"
                + "  </os>\n</domain>\n";
    }

    DomainRef define(String name) {
        return conn.defineXml(xml(name, UUID.randomUUID()), 0);
    }

    Path serial(String name) {
        return state.resolve("log").resolve(name + ".serial");
    }

    /** The last heartbeat sequence number in a domain's serial file, or -1. */
    long lastSeq(String name) throws IOException {
        Path p = serial(name);
        if (!Files.exists(p)) {
            return -1;
        }
        List<String> lines = Files.readAllLines(p);
        for (int i = lines.size() - 1; i >= 0; i--) {
            String l = lines.get(i);
            if (l.startsWith("hb seq=")) {
                return Long.parseLong(l.substring(7, l.indexOf(' ', 7)));
            }
        }
        return -1;
    }

    /** Waits until {@code cond} holds; {@code timeout} only ends a wait that would hang (the test then fails). */
    static void await(BooleanSupplier cond, Duration timeout, String what) {
        Await.until(what, timeout, cond::getAsBoolean);
    }

    /** How many heartbeats the fake engine of a domain held back while paused (its log says so), or 0. */
    long heldBack(String name) throws IOException {
        Path log = state.resolve("log").resolve(name + ".log");
        return Files.exists(log) ? Files.readAllLines(log).stream().filter(l -> l.endsWith(" held back")).count() : 0;
    }

    @Override
    public void close() {
        for (DomainRef r : manager.list(0x1)) {
            try {
                conn.destroy(r, 0);
            } catch (RuntimeException e) {
                // Best effort: leave no engine processes behind.
            }
        }
        manager.close();
    }
}
