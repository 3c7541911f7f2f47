package org.jkvm.migration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.jkvm.testkit.Await;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whole migrations between two fake VMs in this JVM, over every transport, ending with identical RAM and state. */
class MigrationLoopbackTest {
    static final long MIB = 1 << 20;

    @TempDir
    Path dir;
    final List<FakeVm> vms = new ArrayList<>();

    @AfterEach
    void stopVms() {
        vms.forEach(FakeVm::shutdown);
    }

    FakeVm vm(long bytes) {
        FakeVm v = new FakeVm(FakeMemory.of(bytes), "qemu64");
        vms.add(v);
        return v;
    }

    /** A running 32 MiB source, 4 MiB of it non-zero, dirtying a 2 MiB working set. */
    FakeVm busySource() {
        FakeVm src = vm(32 * MIB).fill(1024, 1).running().dirtying(512, 4000);
        src.device().registers[100] = 42;
        return src;
    }

    static MigrationParameters params() {
        return MigrationParameters.defaults().withMaxBandwidth(256 * MIB).withTimeouts(10_000, 10_000);
    }

    /** Migrates and checks: completed, identical RAM and device, source paused, destination as the source was. */
    static MigrationStats migrateAndCheck(FakeVm src, FakeVm dst, String listenUri, String connectUri)
            throws Exception {
        boolean wasRunning = src.isRunning();
        IncomingMigration in = IncomingMigration.start(dst, listenUri, MigrationListener.NONE);
        String uri = connectUri != null ? connectUri : listenUri.replace(":0", ":" + in.port());
        List<MigrationStatus> seen = new ArrayList<>();
        OutgoingMigration out = OutgoingMigration.start(src, uri, params(), new MigrationListener() {
            @Override
            public void statusChanged(MigrationStatus status, MigrationStats stats) {
                seen.add(status);
            }
        });
        MigrationStats stats = out.await(60_000);
        assertEquals(MigrationStatus.COMPLETED, stats.status(), () -> "source: " + stats.errorDesc());
        assertEquals(MigrationStatus.COMPLETED, in.await(10_000), () -> "destination: " + in.error());
        assertEquals(List.of(MigrationStatus.SETUP, MigrationStatus.ACTIVE, MigrationStatus.COMPLETED), seen);
        assertFalse(src.isRunning(), "the source stays paused (postmigrate)");
        assertEquals(wasRunning, dst.isRunning(), "the destination runs iff the source guest ran");
        dst.pause();
        assertEquals(-1, RamCompare.firstDifference(src.memory(), dst.memory()), "RAM differs");
        assertEquals(src.devicePasses(), dst.devicePasses());
        assertArrayEquals(src.device().registers, dst.device().registers);
        assertEquals(1, src.flushCount(), "the block flush hook runs once, while paused");
        assertTrue(stats.zeroPages() > 0 && stats.normalPages() >= 256, stats.toHmpText());
        assertTrue(stats.transferredBytes() < stats.normalPages() * 4096L + 4 * MIB, stats.toHmpText());
        return stats;
    }

    @Test
    void liveMigrationOverTcp() throws Exception {
        FakeVm src = busySource();
        Await.until("the guest dirties its working set over and over", () -> src.devicePasses() >= 3);
        FakeVm dst = vm(32 * MIB);
        MigrationStats s = migrateAndCheck(src, dst, "tcp:127.0.0.1:0", null);
        assertTrue(s.dirtySyncCount() >= 2, "at least the full pass and the final sync: " + s.toHmpText());
        assertEquals(List.of("flush", "inactivate"), src.blockEvents(), "the source gives its images up once");
        assertEquals(List.of("check", "resume"), dst.blockEvents(), "the destination checks before it runs");
    }

    @Test
    void liveMigrationOverUnixSocket() throws Exception {
        String sock = "unix:" + dir.resolve("mig.sock");
        migrateAndCheck(busySource(), vm(32 * MIB), sock, sock);
    }

    @Test
    void liveMigrationThroughAnExecPipeline() throws Exception {
        Require.command("mkfifo");
        Path fifo = dir.resolve("pipe");
        new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor();
        // Source → "cat | cat > fifo" → destination "cat fifo": a pipeline through other processes, no return path.
        migrateAndCheck(busySource(), vm(32 * MIB), "exec:cat " + fifo, "exec:cat | cat > " + fifo);
    }

    @Test
    void savevmToGzipAndLoadvmBack() throws Exception {
        Require.command("gzip");
        Path file = dir.resolve("STATEFILE.gz");
        FakeVm src = busySource();
        OutgoingMigration out = OutgoingMigration.start(src, "exec:gzip -c > " + file,
                params().withMaxBandwidth(4095 * MIB), MigrationListener.NONE);
        MigrationStats s = out.await(60_000);
        assertEquals(MigrationStatus.COMPLETED, s.status(), s::errorDesc);
        byte[] head = Arrays.copyOf(Files.readAllBytes(file), 2);
        assertArrayEquals(new byte[] {(byte) 0x1f, (byte) 0x8b}, head, "the state file is gzip data");
        FakeVm dst = vm(32 * MIB);
        IncomingMigration in = IncomingMigration.start(dst, "exec: gzip -c -d " + file, MigrationListener.NONE);
        assertEquals(MigrationStatus.COMPLETED, in.await(30_000), in::error);
        assertTrue(dst.isRunning(), "the restored guest continues");
        dst.pause();
        assertEquals(-1, RamCompare.firstDifference(src.memory(), dst.memory()));
        assertEquals(src.devicePasses(), dst.devicePasses());
    }

    @Test
    void pausedGuestArrivesPausedAndResumesOnCont() throws Exception {
        FakeVm src = vm(16 * MIB).fill(256, 7);
        MigrationStats s = migrateAndCheck(src, vm(16 * MIB), "tcp:127.0.0.1:0", null);
        assertEquals(2, s.dirtySyncCount(), "a paused guest needs no dirty rounds: " + s.toHmpText());
        vms.get(1).resume();
        assertTrue(vms.get(1).isRunning());
    }
}
