package org.jkvm.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import org.jkvm.remote.DomainRef;
import org.jkvm.remote.DomainState;
import org.jkvm.remote.ErrorCodes;
import org.jkvm.remote.JobInfo;
import org.jkvm.remote.LibvirtError;
import org.jkvm.remote.MigrationParams;
import org.jkvm.remote.MigrationResults;
import org.jkvm.remote.TypedParam;
import org.jkvm.remote.spi.DriverConnection;
import org.jkvm.testkit.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client-managed v3 sequence between two drivers (two state folders) with fake engines on loopback. */
class MigrationTest {
    @TempDir
    Path dir;

    private static Fixture host(Path state, int portFrom) {
        return new Fixture(state, portFrom);
    }

    /** What virsh does for {@code migrate --live}: returns Perform's failure, if any. */
    private static RuntimeException migrate(DriverConnection src, DriverConnection dst, DomainRef dom, int flags,
                                            Runnable duringPerform) {
        MigrationResults.Begin b = src.migrateBegin3(dom, List.of(), flags | MigrationParams.CHANGE_PROTECTION);
        List<TypedParam> p = new ArrayList<>(List.of(new TypedParam.Str(MigrationParams.DEST_XML, b.xml())));
        int destFlags = flags & ~(MigrationParams.ABORT_ON_ERROR | MigrationParams.AUTO_CONVERGE);
        MigrationResults.Prepare prep = dst.migratePrepare3(p, b.cookie(), destFlags);
        assertTrue(prep.uriOut().startsWith("tcp:127.0.0.1:"), prep.uriOut());
        p.add(new TypedParam.Str(MigrationParams.URI, prep.uriOut()));
        CompletableFuture<byte[]> perform = CompletableFuture.supplyAsync(() ->
                src.migratePerform3(dom, null, p, prep.cookie(), flags | MigrationParams.CHANGE_PROTECTION));
        duringPerform.run();
        p.add(new TypedParam.Str(MigrationParams.DEST_NAME, dom.name()));
        try {
            perform.join();
        } catch (RuntimeException e) {
            LibvirtError ok = assertThrows(LibvirtError.class, () -> dst.migrateFinish3(p, new byte[0], destFlags,
                    true));
            assertEquals(ErrorCodes.MIGRATE_FINISH_OK, ok.code());
            return (RuntimeException) e.getCause();
        }
        MigrationResults.Finish fin = dst.migrateFinish3(p, new byte[0], destFlags, false);
        assertEquals(dom.name(), fin.domain().name());
        src.migrateConfirm3(dom, p, fin.cookie(), flags | MigrationParams.CHANGE_PROTECTION, false);
        return null;
    }

    /** A guest whose CPU exposes nested virtualization: Begin refuses with the engine's reason; nothing changes. */
    @Test
    void aGuestItsEngineCannotMigrateIsRefusedInBegin() throws Exception {
        try (Fixture a = host(dir.resolve("a"), 49340)) {
            String xml = Fixture.xml("nested", UUID.randomUUID()).replace("</os>\n", "</os>\n  <cpu mode='custom'>"
                    + "<model>qemu64</model><feature policy='require' name='svm'/></cpu>\n");
            DomainRef r = a.conn.defineXml(xml, 0);
            a.conn.create(r, 0);
            LibvirtError e = assertThrows(LibvirtError.class, () -> a.conn.migrateBegin3(r, List.of(),
                    MigrationParams.LIVE | MigrationParams.CHANGE_PROTECTION));
            assertEquals(ErrorCodes.OPERATION_INVALID, e.code());
            assertTrue(e.getMessage().contains("cannot migrate domain 'nested'")
                    && e.getMessage().contains("+svm") && e.getMessage().contains("nested virtualization"),
                    e.getMessage());
            assertEquals(DomainState.RUNNING, a.conn.state(r, 0).state(), "the guest keeps running");
            assertEquals(JobInfo.NONE, a.conn.jobInfo(r).type(), "no job was started");
        }
    }

    @Test
    void liveMigrationMovesTheGuestAndJobInfoShowsProgress() throws Exception {
        try (Fixture a = host(dir.resolve("a"), 49320); Fixture b = host(dir.resolve("b"), 49330)) {
            DomainRef r = a.define("mig");
            a.conn.create(r, 0);
            a.conn.migrateSetMaxSpeed(r, 4, 0);
            Fixture.await(() -> lastSeq(a, "mig") >= 2, Duration.ofSeconds(20), "heartbeats on A");
            List<JobInfo> polls = new ArrayList<>();
            assertEquals(null, migrate(a.conn, b.conn, r, MigrationParams.LIVE | MigrationParams.PERSIST_DEST
                    | MigrationParams.UNDEFINE_SOURCE, () -> Await.until("job info shows the migration's progress",
                            () -> {
                                // The job lasts until Confirm, so its progress shows even to a late poll.
                                JobInfo j = a.conn.jobInfo(r);
                                polls.add(j);
                                return j.type() == JobInfo.UNBOUNDED && j.dataProcessed() > 0;
                            })));
            assertTrue(polls.stream().anyMatch(j -> j.type() == JobInfo.UNBOUNDED && j.dataProcessed() > 0),
                    "progress: " + polls);
            DomainRef onB = b.conn.lookupByName("mig");
            assertEquals(new DomainState(DomainState.RUNNING, DomainState.RUNNING_MIGRATED), b.conn.state(onB, 0));
            assertTrue(b.conn.isPersistent(onB), "--persistent defined it on B");
            LibvirtError gone = assertThrows(LibvirtError.class, () -> a.conn.lookupByName("mig"));
            assertEquals(ErrorCodes.NO_DOMAIN, gone.code(), "--undefinesource removed it from A");
            long arrived = Long.parseLong(Files.readAllLines(b.serial("mig")).stream()
                    .filter(l -> l.startsWith("incoming done seq=")).findFirst().orElseThrow().substring(18));
            assertTrue(arrived >= 2, "the heartbeat sequence moved with the guest");
            Fixture.await(() -> lastSeq(b, "mig") > arrived, Duration.ofSeconds(20), "heartbeats on B");
            assertTrue(a.manager.all().isEmpty(), "A has no domain left");
        }
    }

    @Test
    void afterTheHandoverTheGuestRunsOnlyOnTheDestination() {
        try (Fixture a = host(dir.resolve("a"), 49360); Fixture b = host(dir.resolve("b"), 49370)) {
            DomainRef r = a.define("ho");
            a.conn.create(r, 0);
            int flags = MigrationParams.LIVE | MigrationParams.CHANGE_PROTECTION;
            MigrationResults.Begin begin = a.conn.migrateBegin3(r, List.of(), flags);
            List<TypedParam> p = new ArrayList<>(List.of(new TypedParam.Str(MigrationParams.DEST_XML, begin.xml()),
                    new TypedParam.Str(MigrationParams.DEST_NAME, "ho")));
            MigrationResults.Prepare prep = b.conn.migratePrepare3(p, begin.cookie(), MigrationParams.LIVE);
            p.add(new TypedParam.Str(MigrationParams.URI, prep.uriOut()));
            a.conn.migratePerform3(r, null, p, prep.cookie(), flags);
            // The engine on B continued the guest at the handover (no -S), before any Finish.
            DomainRef onB = b.conn.lookupByName("ho");
            Fixture.await(() -> b.conn.state(onB, 0).state() == DomainState.RUNNING, Duration.ofSeconds(20),
                    "B runs the guest after the handover");
            // A client that calls Finish as cancelled now (its side failed) must not lose the only running copy.
            MigrationResults.Finish fin = b.conn.migrateFinish3(p, new byte[0], MigrationParams.LIVE, true);
            assertEquals("ho", fin.domain().name());
            assertEquals(new DomainState(DomainState.RUNNING, DomainState.RUNNING_MIGRATED), b.conn.state(onB, 0));
            // And a Confirm as cancelled on A never resumes the handed-over guest there.
            LibvirtError refused = assertThrows(LibvirtError.class,
                    () -> a.conn.migrateConfirm3(r, p, new byte[0], flags, true));
            assertTrue(refused.getMessage().contains("handed the guest over"), refused.getMessage());
            assertEquals(DomainState.PAUSED, a.conn.state(r, 0).state(), "A stays paused");
            a.conn.destroy(r, 0);
            b.conn.destroy(onB, 0);
        }
    }

    @Test
    void abortLeavesTheGuestRunningOnTheSource() {
        try (Fixture a = host(dir.resolve("a"), 49340); Fixture b = host(dir.resolve("b"), 49350)) {
            DomainRef r = a.define("ab");
            a.conn.create(r, 0);
            a.conn.migrateSetMaxSpeed(r, 1, 0);
            RuntimeException e = migrate(a.conn, b.conn, r, MigrationParams.LIVE, () -> {
                Fixture.await(() -> a.conn.jobInfo(r).dataProcessed() > 0, Duration.ofSeconds(20), "a started job");
                a.conn.abortJob(r, 0);
            });
            assertEquals(ErrorCodes.OPERATION_ABORTED, ((LibvirtError) e).code());
            // Aborted during pre-copy the guest never stopped: it keeps running with its old reason.
            assertEquals(new DomainState(DomainState.RUNNING, DomainState.RUNNING_BOOTED), a.conn.state(r, 0));
            assertThrows(LibvirtError.class, () -> b.conn.lookupByName("ab"), "B discarded its incoming guest");
            assertEquals(JobInfo.CANCELLED, a.conn.jobStats(r, 0x1).type());
        }
    }

    @Test
    void refusalsComeBeforeAnythingMoves() {
        try (Fixture a = host(dir.resolve("a"), 49360); Fixture b = host(dir.resolve("b"), 49370)) {
            DomainRef r = a.define("x");
            a.conn.create(r, 0);
            LibvirtError flag = assertThrows(LibvirtError.class,
                    () -> a.conn.migrateBegin3(r, List.of(), MigrationParams.LIVE | 0x800));
            assertEquals(ErrorCodes.ARGUMENT_UNSUPPORTED, flag.code());
            assertTrue(flag.getMessage().contains("--compressed"), flag.getMessage());
            assertEquals(JobInfo.NONE, a.conn.jobInfo(r).type());

            b.conn.defineXml(Fixture.xml("x", UUID.randomUUID()), 0);
            MigrationResults.Begin begin = a.conn.migrateBegin3(r, List.of(), MigrationParams.LIVE);
            LibvirtError clash = assertThrows(LibvirtError.class, () -> b.conn.migratePrepare3(
                    List.of(new TypedParam.Str(MigrationParams.DEST_XML, begin.xml())), new byte[0], 1));
            assertTrue(clash.getMessage().contains("already exists on the destination"), clash.getMessage());
            a.conn.migrateConfirm3(r, List.of(), new byte[0], MigrationParams.LIVE, true);
            assertEquals(DomainState.RUNNING, a.conn.state(r, 0).state());

            String uuid = a.conn.xmlDesc(r, 0x2).replaceAll("(?s).*<uuid>(.*)</uuid>.*", "$1");
            b.conn.undefine(b.conn.lookupByName("x"), 0);
            b.conn.defineXml(Fixture.xml("x", UUID.fromString(uuid)).replace(">16<", ">32<"), 0);
            MigrationResults.Begin begin2 = a.conn.migrateBegin3(r, List.of(), MigrationParams.LIVE);
            LibvirtError abi = assertThrows(LibvirtError.class, () -> b.conn.migratePrepare3(
                    List.of(new TypedParam.Str(MigrationParams.DEST_XML, begin2.xml())), new byte[0], 1));
            assertEquals(ErrorCodes.CONFIG_UNSUPPORTED, abi.code());
            assertTrue(abi.getMessage().contains("memory"), abi.getMessage());
            a.conn.migrateConfirm3(r, List.of(), new byte[0], MigrationParams.LIVE, true);
            assertFalse(b.conn.isActive(b.conn.lookupByName("x")));
        }
    }

    private static long lastSeq(Fixture f, String name) {
        try {
            return f.lastSeq(name);
        } catch (java.io.IOException e) {
            return -1;
        }
    }
}
