package org.jkvm.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.jkvm.remote.DomainRef;
import org.jkvm.remote.DomainState;
import org.jkvm.remote.ErrorCodes;
import org.jkvm.remote.JobInfo;
import org.jkvm.remote.JobStats;
import org.jkvm.remote.LibvirtError;
import org.jkvm.remote.TypedParam;
import org.jkvm.testkit.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SaveRestoreTest {
    @TempDir
    Path dir;

    @Test
    void saveShowsProgressThenRestoreContinuesTheGuest() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            DomainRef r = f.define("sv");
            f.conn.create(r, 0);
            Fixture.await(() -> {
                try {
                    return f.lastSeq("sv") >= 3;
                } catch (java.io.IOException e) {
                    return false;
                }
            }, java.time.Duration.ofSeconds(20), "heartbeats");
            f.conn.migrateSetMaxSpeed(r, 4, 0); // 2 MiB of fake stream at 4 MiB/s: about half a second
            Path file = dir.resolve("sv.save");
            CompletableFuture<Void> save = CompletableFuture.runAsync(() -> f.conn.save(r, file.toString(), null, 0));
            List<JobInfo> polls = new ArrayList<>();
            Await.until("job info shows the save under way, or the save ends", () -> {
                if (save.isDone()) {
                    return true;
                }
                JobInfo j = f.conn.jobInfo(r);
                polls.add(j);
                return j.type() == JobInfo.UNBOUNDED && j.dataProcessed() > 0 && j.dataRemaining() > 0;
            });
            save.join();
            long seqAtSave = f.lastSeq("sv");
            assertTrue(polls.stream().anyMatch(j -> j.type() == JobInfo.UNBOUNDED && j.dataProcessed() > 0
                    && j.dataRemaining() > 0 && j.dataTotal() == 2 << 20), "progress seen: " + polls);
            assertEquals(new DomainState(DomainState.SHUTOFF, DomainState.SHUTOFF_SAVED), f.conn.state(r, 0));
            assertTrue(Files.size(file) > 2 << 20);
            JobStats done = f.conn.jobStats(r, 0x1);
            assertEquals(JobInfo.COMPLETED, done.type());
            assertEquals(Boolean.TRUE, TypedParam.find(done.params(), "success")
                    .map(p -> ((TypedParam.Bool) p).value()).orElse(null));
            assertEquals(2L, TypedParam.number(done.params(), "operation").orElseThrow());

            f.conn.restore(file.toString(), null, 0);
            assertEquals(new DomainState(DomainState.RUNNING, DomainState.RUNNING_RESTORED), f.conn.state(r, 0));
            assertTrue(Files.readString(f.serial("sv")).contains("incoming done seq=" + (seqAtSave + 1)),
                    "the sequence continues where it stopped");
            Fixture.await(() -> {
                try {
                    return f.lastSeq("sv") > seqAtSave + 1;
                } catch (java.io.IOException e) {
                    return false;
                }
            }, java.time.Duration.ofSeconds(20), "heartbeats after restore");
        }
    }

    @Test
    void abortedSaveLeavesTheGuestRunning() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            DomainRef r = f.define("ab");
            f.conn.create(r, 0);
            f.conn.migrateSetMaxSpeed(r, 1, 0);
            Path file = dir.resolve("ab.save");
            CompletableFuture<Void> save = CompletableFuture.runAsync(() -> f.conn.save(r, file.toString(), null, 0));
            Fixture.await(() -> f.conn.jobInfo(r).type() == JobInfo.UNBOUNDED, java.time.Duration.ofSeconds(20),
                    "save job");
            f.conn.abortJob(r, 0);
            Exception e = assertThrows(Exception.class, save::join);
            LibvirtError le = (LibvirtError) e.getCause();
            assertEquals(ErrorCodes.OPERATION_ABORTED, le.code());
            assertEquals(new DomainState(DomainState.RUNNING, DomainState.RUNNING_SAVE_CANCELED), f.conn.state(r, 0));
            assertFalse(Files.exists(file), "partial file removed");
            assertEquals(JobInfo.CANCELLED, f.conn.jobStats(r, 0x1).type());
        }
    }

    @Test
    void restoreRefusesGarbageAndRunningDomains() throws Exception {
        try (Fixture f = new Fixture(dir)) {
            Path junk = dir.resolve("junk");
            Files.writeString(junk, "not a save file at all");
            LibvirtError e = assertThrows(LibvirtError.class, () -> f.conn.restore(junk.toString(), null, 0));
            assertEquals(ErrorCodes.OPERATION_FAILED, e.code());
            assertTrue(e.getMessage().contains("not a jkvm save file"), e.getMessage());
            Path truncated = dir.resolve("short");
            Files.write(truncated, new byte[] {'J', 'K', 'V', 'M', 'S', 'A', 'V', 'E', 0, 0});
            assertTrue(assertThrows(LibvirtError.class, () -> f.conn.restore(truncated.toString(), null, 0))
                    .getMessage().contains("truncated"));
            LibvirtError missing = assertThrows(LibvirtError.class,
                    () -> f.conn.restore(dir.resolve("nope").toString(), null, 0));
            assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());

            DomainRef r = f.define("busy");
            f.conn.create(r, 0);
            Path file = dir.resolve("busy.save");
            SaveFile.writeHeader(file, f.conn.xmlDesc(r, 0x2), true);
            LibvirtError active = assertThrows(LibvirtError.class, () -> f.conn.restore(file.toString(), null, 0));
            assertEquals(ErrorCodes.OPERATION_INVALID, active.code());
            assertEquals(DomainState.RUNNING, f.conn.state(r, 0).state());
        }
    }
}
