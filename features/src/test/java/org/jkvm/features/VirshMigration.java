package org.jkvm.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

import org.jkvm.testkit.Await;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Issue 6 with the real virsh between two daemons standing for two hosts ({@link TwoHosts}): each has its own
 * state folder and its own address, in a network namespace of its own (192.0.2.1 / 192.0.2.2, virsh running in
 * A's namespace) or on 127.0.0.2 / 127.0.0.3, on which it listens and which it advertises for incoming
 * migrations. The hosts are shared by a class's tests and emptied after each. Covered: client-managed
 * and peer-to-peer live migration, persistent/undefinesource, back again, domjobinfo during a slow migration,
 * domjobabort, and the refusals. Subclasses choose the engine.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class VirshMigration {
    static final Duration HB = Duration.ofSeconds(30);

    Path dir;
    TwoHosts hosts;
    Host a;
    Host b;

    /** The engine command line; calls Require for what it needs. */
    abstract String engine();

    /** The firmware command line. */
    abstract String cmdline();

    /** Whether the hosts should live in network namespaces of their own (else on 127.0.0.2 / 127.0.0.3). */
    abstract boolean namespaces();

    /** The first incoming-migration port of this class's hosts (classes may run at the same time). */
    abstract int ports();

    @BeforeAll
    void startHosts() throws Exception {
        Require.command("virsh");
        String engine = engine();
        dir = Files.createTempDirectory("jkvm-mig");
        hosts = TwoHosts.start(dir, engine, namespaces(), ports());
        a = hosts.a;
        b = hosts.b;
    }

    /** Every test starts from two empty hosts: whatever a test left (even after failing) is destroyed and undefined. */
    @AfterEach
    void cleanUp() {
        for (Host d : new Host[] {a, b}) {
            if (d == null) {
                continue;
            }
            for (String name : Virsh.run(d.unixUri(), "list", "--all", "--name").out().split("\\s+")) {
                if (!name.isBlank()) {
                    Virsh.run(d.unixUri(), "destroy", name);
                    Virsh.run(d.unixUri(), "undefine", name);
                }
            }
        }
    }

    @AfterAll
    void stopHosts() throws IOException {
        if (hosts != null) {
            hosts.close();
        }
        if (dir != null) {
            try (Stream<Path> all = Files.walk(dir)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private Virsh.Result virsh(String uri, String... args) {
        return hosts.virsh(uri, args);
    }

    private void defineAndStart(Host d, String name) throws Exception {
        Path f = dir.resolve(name + ".xml");
        Files.writeString(f, Guest.xml(name, cmdline()));
        virsh(d.tcpUri(), "define", f.toString()).ok();
        virsh(d.tcpUri(), "start", name).ok();
        Guest.awaitHeartbeats(serial(d, name), -1, HB);
    }

    static Path serial(Host d, String name) {
        return d.state().resolve("log").resolve(name + ".serial");
    }

    @Test
    void liveMigrationThereAndBackAndPeerToPeer() throws Exception {
        defineAndStart(a, "m1");
        long before = Guest.lastSeq(serial(a, "m1"));
        String out = virsh(a.tcpUri(), "migrate", "--live", "--verbose", "--persistent", "--undefinesource",
                "m1", b.tcpUri()).ok();
        assertTrue(out.contains("Migration: [100 %]") || out.isEmpty(), out);
        assertEquals("running (migrated)", virsh(b.tcpUri(), "domstate", "--reason", "m1").ok());
        assertEquals("", virsh(a.tcpUri(), "list", "--all", "--name").ok(), "gone from A");
        long leftA = Guest.lastSeq(serial(a, "m1"));
        long onB = Guest.awaitHeartbeats(serial(b, "m1"), leftA, HB);
        assertTrue(onB > leftA && leftA >= before, "the heartbeat sequence continues on B: A " + leftA + ", B " + onB);
        assertTrue(Files.readString(serial(b, "m1")).lines().filter(l -> l.contains("hb seq="))
                .allMatch(l -> l.contains("errors=0")), "no errors on B");

        virsh(b.tcpUri(), "migrate", "--live", "--p2p", "m1", a.tcpUri()).ok();
        assertEquals("running (migrated)", virsh(a.tcpUri(), "domstate", "--reason", "m1").ok());
        assertEquals("shut off (migrated)", virsh(b.tcpUri(), "domstate", "--reason", "m1").ok(),
                "B keeps its persistent definition, shut off");
        Guest.awaitHeartbeats(serial(a, "m1"), Guest.lastSeq(serial(a, "m1")), HB);
    }

    @Test
    void jobInfoDuringASlowMigrationAndAbort() throws Exception {
        defineAndStart(a, "slow");
        virsh(a.tcpUri(), "migrate-setspeed", "slow", "1").ok();
        Thread t = new Thread(() -> virsh(a.tcpUri(), "migrate", "--live", "slow", b.tcpUri()));
        t.start();
        String info = Await.value("domjobinfo shows the migration", HB,
                () -> virsh(a.tcpUri(), "domjobinfo", "slow").out(), i -> i.contains("Data processed"));
        assertTrue(info.contains("Job type:         Unbounded")
                && info.contains("Operation:        Outgoing migration"),
                info);
        virsh(a.tcpUri(), "domjobabort", "slow").ok();
        t.join(60_000);
        // Aborted during pre-copy the guest never stopped, so it keeps running with its old reason (as libvirt).
        assertTrue(virsh(a.tcpUri(), "domstate", "--reason", "slow").ok().startsWith("running"));
        assertEquals("", virsh(b.tcpUri(), "list", "--all", "--name").ok(), "B discarded the guest");
        Guest.awaitHeartbeats(serial(a, "slow"), Guest.lastSeq(serial(a, "slow")), HB);
    }

    @Test
    void refusalsLeaveTheGuestRunningOnTheSource() throws Exception {
        defineAndStart(a, "r");
        Virsh.Result flag = virsh(a.tcpUri(), "migrate", "--live", "--compressed", "r", b.tcpUri());
        assertNotEquals(0, flag.code());
        assertTrue(flag.err().contains("argument unsupported") && flag.err().contains("drop --compressed"), flag.err());
        Path other = dir.resolve("other.xml");
        Files.writeString(other, Guest.xml("r", cmdline()));
        virsh(b.tcpUri(), "define", other.toString()).ok();
        Virsh.Result clash = virsh(a.tcpUri(), "migrate", "--live", "r", b.tcpUri());
        assertTrue(clash.err().contains("already exists on the destination"), clash.err());
        virsh(b.tcpUri(), "undefine", "r").ok();
        String uuid = virsh(a.tcpUri(), "domuuid", "r").ok();
        Files.writeString(other, Guest.xml("r", cmdline()).replaceFirst("<uuid>[^<]*</uuid>", "<uuid>" + uuid
                + "</uuid>").replace(">32<", ">64<"));
        virsh(b.tcpUri(), "define", other.toString()).ok();
        Virsh.Result abi = virsh(a.tcpUri(), "migrate", "--live", "r", b.tcpUri());
        assertTrue(abi.err().contains("differs from the source") && abi.err().contains("memory"), abi.err());
        assertEquals("running (booted)", virsh(a.tcpUri(), "domstate", "--reason", "r").ok());
    }

    @Test
    void pausedStaysPausedAndOfflineMovesOnlyTheDefinition() throws Exception {
        defineAndStart(a, "p");
        Duration period = Guest.heartbeatPeriod(serial(a, "p"), HB);
        virsh(a.tcpUri(), "suspend", "p").ok();
        virsh(a.tcpUri(), "migrate", "--live", "p", b.tcpUri()).ok();
        assertTrue(virsh(b.tcpUri(), "domstate", "p").ok().equals("paused"), "still paused on B");
        long at = Guest.lastSeq(serial(b, "p"));
        Guest.assertNoHeartbeats(serial(b, "p"), at, period, 3);
        virsh(b.tcpUri(), "resume", "p").ok();
        Guest.awaitHeartbeats(serial(b, "p"), Math.max(at, Guest.lastSeq(serial(a, "p"))), HB);

        Path f = dir.resolve("off.xml");
        Files.writeString(f, Guest.xml("off", cmdline()));
        virsh(a.tcpUri(), "define", f.toString()).ok();
        virsh(a.tcpUri(), "migrate", "--offline", "--persistent", "off", b.tcpUri()).ok();
        assertEquals("shut off", virsh(b.tcpUri(), "domstate", "off").ok());
        assertEquals("shut off", virsh(a.tcpUri(), "domstate", "off").ok());
    }

    @Test
    void killedDestinationEngineLeavesTheGuestRunningOnTheSource() throws Exception {
        defineAndStart(a, "k");
        virsh(a.tcpUri(), "migrate-setspeed", "k", "1").ok();
        Virsh.Result[] result = new Virsh.Result[1];
        Thread t = new Thread(() -> result[0] = virsh(a.tcpUri(), "migrate", "--live", "k", b.tcpUri()));
        t.start();
        Path pidFile = b.state().resolve("run/k.pid");
        Await.until("domjobinfo shows bytes sent", HB, () -> sending(virsh(a.tcpUri(), "domjobinfo", "k").out()));
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        t.join(120_000);
        assertNotEquals(0, result[0].code());
        assertTrue(result[0].err().contains("error: operation failed: migration of domain 'k' failed")
                || result[0].err().contains("no longer on the destination"), result[0].err());
        assertTrue(virsh(a.tcpUri(), "domstate", "k").ok().equals("running"), "still running on A");
        Guest.awaitHeartbeats(serial(a, "k"), Guest.lastSeq(serial(a, "k")), HB);
        assertEquals("", virsh(b.tcpUri(), "list", "--all", "--name").ok(), "nothing left on B");
    }

    /** True once domjobinfo shows bytes actually sent. */
    static boolean sending(String jobInfo) {
        return jobInfo.lines().anyMatch(l -> l.startsWith("Data processed:") && !l.contains(" 0.000 B"));
    }
}
