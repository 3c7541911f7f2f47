package org.jkvm.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.UUID;

import org.jkvm.driver.qmp.MigrationParameters;
import org.jkvm.remote.DomainRef;
import org.jkvm.remote.DomainState;
import org.jkvm.remote.ErrorCodes;
import org.jkvm.remote.LibvirtError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LifecycleTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private static void heartbeatsAdvance(Fixture f, String name) throws IOException {
        long before = f.lastSeq(name);
        Fixture.await(() -> {
            try {
                return f.lastSeq(name) > before + 2;
            } catch (IOException e) {
                return false;
            }
        }, WAIT, "heartbeats of " + name + " after seq " + before);
    }

    private static long heldBack(Fixture f, String name) {
        try {
            return f.heldBack(name);
        } catch (IOException e) {
            return -1;
        }
    }

    @Test
    void startSuspendResumeDestroy() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            DomainRef r = f.define("vm1");
            DomainRef started = f.conn.create(r, 0);
            assertTrue(started.id() > 0);
            assertEquals(started, f.conn.lookupById(started.id()));
            assertEquals(new DomainState(DomainState.RUNNING, DomainState.RUNNING_BOOTED), f.conn.state(r, 0));
            assertTrue(f.conn.xmlDesc(r, 0).contains("id=\"" + started.id() + "\"")
                    || f.conn.xmlDesc(r, 0).contains("id='" + started.id() + "'"), f.conn.xmlDesc(r, 0));
            assertFalse(f.conn.xmlDesc(r, 0x2).contains("id="));
            heartbeatsAdvance(f, "vm1");
            LibvirtError again = assertThrows(LibvirtError.class, () -> f.conn.create(r, 0));
            assertEquals(ErrorCodes.OPERATION_INVALID, again.code());
            assertEquals("Requested operation is not valid: domain is already running", again.getMessage());

            f.conn.suspend(r);
            assertEquals(new DomainState(DomainState.PAUSED, DomainState.PAUSED_USER), f.conn.state(r, 0));
            long paused = f.lastSeq("vm1");
            long heldBack = f.heldBack("vm1");
            Fixture.await(() -> heldBack(f, "vm1") >= heldBack + 3, WAIT, "three heartbeats due while paused");
            assertTrue(f.lastSeq("vm1") <= paused + 1, "no heartbeats while paused (one may have been on its way)");
            f.conn.resume(r);
            assertEquals(new DomainState(DomainState.RUNNING, DomainState.RUNNING_UNPAUSED), f.conn.state(r, 0));
            heartbeatsAdvance(f, "vm1");

            f.conn.destroy(r, 0);
            assertEquals(new DomainState(DomainState.SHUTOFF, DomainState.SHUTOFF_DESTROYED), f.conn.state(r, 0));
            assertEquals(-1, f.conn.lookupByName("vm1").id());
            assertFalse(Files.exists(dir.resolve("run/vm1.status")), "status file removed");
            assertTrue(Files.exists(f.serial("vm1")), "serial log kept");
            LibvirtError notRunning = assertThrows(LibvirtError.class, () -> f.conn.suspend(r));
            assertEquals("Requested operation is not valid: domain is not running", notRunning.getMessage());
        }
    }

    @Test
    void guestShutdownAndCrashAreNoticed() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            DomainRef a = f.define("a");
            f.conn.create(a, 0);
            f.conn.shutdown(a, 0);
            Fixture.await(() -> !f.conn.isActive(a), WAIT, "shutdown");
            assertEquals(new DomainState(DomainState.SHUTOFF, DomainState.SHUTOFF_SHUTDOWN), f.conn.state(a, 0));
            assertTrue(Files.readString(f.serial("a")).contains("shutdown requested"));

            f.conn.create(a, 0);
            long pid = f.manager.byName("a").engine().pid();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            // Noticed by the driver itself (the engine's QMP end-of-file or its exit), without a client asking for
            // it; WAIT (20 s) only bounds a hang, a healthy driver takes milliseconds.
            Fixture.await(() -> !f.conn.isActive(a), WAIT, "crash detection");
            assertEquals(new DomainState(DomainState.SHUTOFF, DomainState.SHUTOFF_CRASHED), f.conn.state(a, 0));
            assertTrue(Files.exists(f.serial("a")));
        }
    }

    @Test
    void daemonRestartReattachesToRunningEngines() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            DomainRef r = f.define("keep");
            int id = f.conn.create(r, 0).id();
            f.conn.suspend(r);
            f.restart();
            DomainRef again = f.conn.lookupByName("keep");
            assertEquals(id, again.id());
            assertEquals(DomainState.PAUSED, f.conn.state(again, 0).state());
            f.conn.resume(again);
            heartbeatsAdvance(f, "keep");
            DomainRef other = f.define("other");
            assertTrue(f.conn.create(other, 0).id() > id, "ids are not reused after a restart");
            f.restart();
            f.conn.destroy(f.conn.lookupByName("keep"), 0);
            assertEquals(DomainState.SHUTOFF_DESTROYED, f.conn.state(r, 0).reason());
            // An engine that died while the daemon was away shows up as crashed.
            long pid = f.manager.byName("other").engine().pid();
            f.manager.close();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            Fixture.await(() -> ProcessHandle.of(pid).isEmpty(), WAIT, "engine death");
            f.open();
            assertEquals(new DomainState(DomainState.SHUTOFF, DomainState.SHUTOFF_CRASHED),
                    f.conn.state(f.conn.lookupByName("other"), 0));
        }
    }

    @Test
    void engineThatFailsToStartGivesItsMessage() {
        try (Fixture f = new Fixture(dir)) {
            String xml = Fixture.xml("bad", UUID.randomUUID()).replace("</os>",
                    "  <cmdline>x</cmdline>\n  </os>");
            DomainRef r = f.conn.defineXml(xml, 0);
            // The fake engine refuses to start when given -fake-fail; reach it through the engine command.
            f.manager.close();
            var cfg = new DriverConfig(dir, java.util.stream.Stream.concat(Fixture.fakeEngine().stream(),
                    java.util.stream.Stream.of("-fake-fail", "no-firmware")).toList(), true, null, 49152, 49215,
                    Duration.ofSeconds(20));
            f.manager = new DomainManager(cfg, new XmlDefinitions(dir, "jkvm-engine"));
            f.conn = new JkvmDriver(f.manager, true).open("jkvm:///system", false);
            LibvirtError e = assertThrows(LibvirtError.class, () -> f.conn.create(r, 0));
            assertEquals(ErrorCodes.OPERATION_FAILED, e.code());
            assertTrue(e.getMessage().contains("refusing to start: no-firmware"), e.getMessage());
            assertEquals(new DomainState(DomainState.SHUTOFF, DomainState.SHUTOFF_FAILED), f.conn.state(r, 0));
        }
    }

    @Test
    void migrationTuningIsKeptAndSentToTheEngine() {
        try (Fixture f = new Fixture(dir)) {
            DomainRef r = f.define("tune");
            assertEquals(Domain.UNLIMITED_SPEED_MIB, f.conn.migrateGetMaxSpeed(r, 0));
            f.conn.migrateSetMaxSpeed(r, 100, 0);
            f.conn.create(r, 0);
            assertEquals(OptionalLong.of(100L << 20), f.manager.byName("tune").engine().qmp().queryMigrateParameters()
                    .maxBandwidthBytesPerSec());
            f.conn.migrateSetMaxSpeed(r, 7, 0);
            f.conn.migrateSetMaxDowntime(r, 50, 0);
            assertEquals(new MigrationParameters(OptionalLong.of(7L << 20), OptionalLong.of(50)),
                    f.manager.byName("tune").engine().qmp().queryMigrateParameters());
            assertEquals(7, f.conn.migrateGetMaxSpeed(r, 0));
            assertEquals(50, f.conn.migrateGetMaxDowntime(r, 0));
            LibvirtError post = assertThrows(LibvirtError.class, () -> f.conn.migrateSetMaxSpeed(r, 1, 1));
            assertEquals(ErrorCodes.ARGUMENT_UNSUPPORTED, post.code());
            LibvirtError noJob = assertThrows(LibvirtError.class, () -> f.conn.abortJob(r, 0));
            assertEquals(ErrorCodes.OPERATION_INVALID, noJob.code());
        }
    }

    @Test
    void autostartDomainsStartWithTheDaemon() {
        try (Fixture f = new Fixture(dir)) {
            DomainRef r = f.define("auto");
            f.define("manual");
            f.conn.setAutostart(r, true);
            assertTrue(f.conn.autostart(r));
            assertEquals(1, f.conn.listAllDomains(0x400).size());
            f.restart();
            f.manager.autostart();
            assertTrue(f.conn.isActive(f.conn.lookupByName("auto")));
            assertFalse(f.conn.isActive(f.conn.lookupByName("manual")));
            f.conn.setAutostart(r, false);
            assertFalse(f.conn.autostart(r));
        }
    }

    @Test
    void lifecycleEventsFollowTheStateChanges() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            java.util.List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
            AutoCloseable all = f.conn.watchLifecycle(null, (d, ev, detail) -> seen.add(d.name() + " " + ev + "/"
                    + detail));
            DomainRef r = f.define("ev");
            f.conn.create(r, 0);
            f.conn.suspend(r);
            f.conn.resume(r);
            f.conn.destroy(r, 0);
            all.close();
            f.conn.create(r, 0);
            // DEFINED added, STARTED booted, SUSPENDED paused, RESUMED unpaused, STOPPED destroyed; then nothing.
            assertEquals(java.util.List.of("ev 0/0", "ev 2/0", "ev 3/0", "ev 4/0", "ev 5/1"), seen);
        }
    }

    @Test
    void consoleStreamsTheSerialOutputUntilTheDomainStops() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            DomainRef r = f.define("con");
            f.conn.create(r, 0);
            StringBuffer out = new StringBuffer();
            java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);
            var console = f.conn.openConsole(r, null, 0, new org.jkvm.remote.spi.StreamSink() {
                @Override
                public void data(byte[] data, int offset, int length) {
                    out.append(new String(data, offset, length, java.nio.charset.StandardCharsets.ISO_8859_1));
                }

                @Override
                public void end() {
                    ended.countDown();
                }

                @Override
                public void error(LibvirtError error) {
                }
            });
            Fixture.await(() -> out.toString().contains("hb seq="), WAIT, "console output");
            console.write("ignored".getBytes());
            f.conn.destroy(r, 0);
            assertTrue(ended.await(10, java.util.concurrent.TimeUnit.SECONDS), "the stream ends with the domain");
            LibvirtError off = assertThrows(LibvirtError.class, () -> f.conn.openConsole(r, null, 0, null));
            assertEquals(ErrorCodes.OPERATION_INVALID, off.code());
        }
    }
}
