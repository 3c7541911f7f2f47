package org.jkvm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.block.BlockException;
import org.jkvm.block.BlockImage;
import org.jkvm.block.BlockImages;
import org.jkvm.block.ImageFormat;
import org.jkvm.block.OpenOptions;
import org.jkvm.devices.virtio.blk.BlockStats;
import org.jkvm.hypervisor.Accelerator;
import org.jkvm.loader.TinyElf;
import org.jkvm.migration.IncomingMigration;
import org.jkvm.migration.MigrationListener;
import org.jkvm.migration.MigrationParameters;
import org.jkvm.migration.MigrationStatus;
import org.jkvm.migration.OutgoingMigration;
import org.jkvm.testkit.Await;
import org.jkvm.vmstate.Migratable;
import org.jkvm.vmstate.VmStateException;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 14 item 5, migration with shared storage, between two {@link Vm} instances in one process over tcp: a
 * guest ({@code virtio-blk-stamp.S}) keeps writing stamped sectors to a qcow2 overlay on a raw base in one
 * directory and checks each stamp before it overwrites it. The destination reads back everything the source
 * wrote, holds the write lock after the handover (a third writer's open fails naming this process), and the source
 * then holds no lock. A destination that fails after the source gave its locks up leaves the source running,
 * writing and again the only writer. On every backend this host has.
 */
class DiskMigrationTest {
    private static final int SLOT = 4;
    private static final int SECTORS = 64;
    private static final long SEQ = 0x206000;
    private static final long TABLE = 0x500000;

    @TempDir
    Path dir;

    static List<Accelerator> backends() {
        return CrossBackendTest.available();
    }

    /** A 1 MiB raw base and a qcow2 overlay naming it by a relative path, as {@code qemu-img create -b} makes. */
    private Path overlay() throws Exception {
        Files.write(dir.resolve("base.raw"), new byte[1 << 20]);
        Path top = dir.resolve("top.qcow2");
        BlockImages.createQcow2(top, 1 << 20, 65536, "base.raw", ImageFormat.RAW);
        return top;
    }

    private Vm vm(Accelerator accel, Path top, String... extra) throws Exception {
        Path elf = dir.resolve("stamp.elf");
        if (!Files.exists(elf)) {
            byte[] code = GuestAsm.assemble("virtio-blk-stamp.S", dir, "SLOT=" + SLOT, "SECTORS=" + SECTORS);
            Files.write(elf, TinyElf.elf32(code, true, 0));
        }
        List<String> args = new ArrayList<>(List.of("-accel", accel.optionName(), "-m", "64M", "-kernel",
                elf.toString(), "-drive", "file=" + top + ",format=qcow2,if=none,id=d0,cache=writeback",
                "-device", "virtio-blk-pci,drive=d0,addr=0x" + SLOT));
        args.addAll(List.of(extra));
        return Vm.create(VmConfigParser.parse(args));
    }

    private static long seq(Vm vm) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        vm.migratable().memory().read(SEQ, b);
        return b.getLong(0);
    }

    /** Waits until the guest's writes pass {@code target}, failing at once if the guest stopped (a bad stamp). */
    private static long awaitWrites(Vm vm, long target, String what) {
        long s = Await.value(what, () -> vm.state() == RunState.SHUTDOWN ? -1 : seq(vm), v -> v < 0 || v >= target);
        assertTrue(s >= 0, what + ": the guest stopped: " + (s < 0 ? vm.awaitExit().reason() : ""));
        return s;
    }

    /** The guest's table of the last stamp written to each sector. */
    private static long[] table(Vm vm) {
        ByteBuffer b = ByteBuffer.allocate(SECTORS * 8).order(ByteOrder.LITTLE_ENDIAN);
        vm.migratable().memory().read(TABLE, b);
        long[] t = new long[SECTORS];
        for (int i = 0; i < SECTORS; i++) {
            t[i] = b.getLong(i * 8);
        }
        return t;
    }

    /**
     * Checks that the image holds the stamps of {@code table}; the sector after the newest stamp may hold the next
     * one (the guest was paused between that write's completion and its table entry).
     */
    private static void assertImageHolds(Path top, long[] table) {
        int newest = 0;
        for (int s = 1; s < SECTORS; s++) {
            newest = table[s] > table[newest] ? s : newest;
        }
        int next = (newest + 1) % SECTORS;
        try (BlockImage img = BlockImages.open(top, OpenOptions.of(ImageFormat.QCOW2).withReadOnly(true))) {
            ByteBuffer b = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
            for (int s = 0; s < SECTORS; s++) {
                b.clear();
                img.read(s * 512L, b);
                long want = s == next && b.getLong(0) == table[newest] + 1 ? table[newest] + 1 : table[s];
                assertEquals(want, b.getLong(0), "sector " + s + "'s stamp");
                assertEquals(want, b.getLong(504), "sector " + s + "'s stamp at its end");
            }
        }
    }

    private static String thirdWriterRefusal(Path top) {
        BlockException e = assertThrows(BlockException.class,
                () -> BlockImages.open(top, OpenOptions.of(ImageFormat.QCOW2)).close());
        return e.getMessage();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void aWritingGuestMovesAndTheDestinationReadsBackEverySector(Accelerator accel) throws Exception {
        Path top = overlay();
        try (Vm src = vm(accel, top); Vm dst = vm(accel, top, "-incoming", "defer")) {
            src.cont();
            awaitWrites(src, 2 * SECTORS, "the source guest writes every sector twice");
            BlockStats.Snapshot before = src.blockStats().get(0).stats();
            assertTrue(before.operations(BlockStats.Kind.WRITE) >= 2 * SECTORS, before.toString());
            assertEquals(512 * before.operations(BlockStats.Kind.WRITE), before.bytes(BlockStats.Kind.WRITE));
            assertTrue(before.operations(BlockStats.Kind.READ) >= 2 * SECTORS - 1, "each write follows a read");
            assertEquals("d0", src.blockStats().get(0).device());
            IncomingMigration in = IncomingMigration.start(dst.migratable(), "tcp:127.0.0.1:0",
                    new MigrationListener() { });
            OutgoingMigration out = OutgoingMigration.start(src.migratable(), "tcp:127.0.0.1:" + in.port(),
                    MigrationParameters.defaults(), new MigrationListener() { });
            assertEquals(MigrationStatus.COMPLETED, out.await(300_000).status(), out.stats().toString());
            assertEquals(MigrationStatus.COMPLETED, in.await(60_000), in.error());
            long handedOver = seq(src);
            long[] sourceTable = table(src);
            // Past two more rounds: every sector the source stamped was read back and checked on the destination.
            awaitWrites(dst, handedOver + 2 * SECTORS, "the destination guest checks and rewrites every sector");
            // The source's stop drains a write the guest had in flight: the source counts it, and the guest moves
            // its sequence on for it only on the destination. So 2 x SECTORS of the sequence, at least one fewer
            // of the destination's own writes.
            long ownWrites = dst.blockStats().get(0).stats().operations(BlockStats.Kind.WRITE);
            assertTrue(ownWrites >= 2 * SECTORS - 1, "the destination's counters count its own requests: "
                    + ownWrites);
            String refusal = thirdWriterRefusal(top);
            assertTrue(refusal.contains("locked for writing") && refusal.contains("pid "
                    + ProcessHandle.current().pid()), refusal);
            assertEquals(handedOver, seq(src), "the source guest stays paused");
            assertTrue(sourceTable[0] > 0, "the source wrote sector 0");
            dst.migratable().pause();
            long[] destinationTable = table(dst);
            dst.close();
            // The source still exists but holds no lock: a writer may open the image, the source cannot write.
            BlockImages.open(top, OpenOptions.of(ImageFormat.QCOW2)).close();
            assertImageHolds(top, destinationTable);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void aDestinationThatFailsAfterTheLocksWereGivenUpLeavesTheSourceWriting(Accelerator accel) throws Exception {
        Path top = overlay();
        try (Vm src = vm(accel, top); Vm dst = vm(accel, top, "-incoming", "defer")) {
            src.cont();
            awaitWrites(src, SECTORS, "the source guest writes every sector");
            // The destination dies after the whole stream, EOF included: the source had given its locks up.
            Migratable dying = FaultyMigratable.before(dst.migratable(), "restoreState", 1, () -> {
                throw new VmStateException("the destination died before the handover");
            });
            IncomingMigration in = IncomingMigration.start(dying, "tcp:127.0.0.1:0", new MigrationListener() { });
            OutgoingMigration out = OutgoingMigration.start(src.migratable(), "tcp:127.0.0.1:" + in.port(),
                    MigrationParameters.defaults(), new MigrationListener() { });
            assertEquals(MigrationStatus.FAILED, out.await(300_000).status());
            assertEquals(MigrationStatus.FAILED, in.await(60_000));
            assertTrue(out.stats().toString().contains("the destination died"), out.stats().toString());
            long failedAt = seq(src);
            awaitWrites(src, failedAt + 2 * SECTORS, "the source guest goes on checking and writing");
            String refusal = thirdWriterRefusal(top);
            assertTrue(refusal.contains("locked for writing"), refusal);
            src.migratable().pause();
            long[] table = table(src);
            src.close();
            assertImageHolds(top, table);
        }
    }

    @org.junit.jupiter.api.Test
    void aSnapshotGuestIsRefusedWithTheSeedsReason() throws Exception {
        Path top = overlay();
        try (Vm src = vm(Accelerator.TCG, top, "-snapshot")) {
            org.jkvm.migration.MigrationException e = assertThrows(org.jkvm.migration.MigrationException.class,
                    () -> OutgoingMigration.start(src.migratable(), "tcp:127.0.0.1:1",
                            MigrationParameters.defaults(), new MigrationListener() { }));
            assertTrue(e.getMessage().contains("temporary overlays (-snapshot), which the destination cannot see"),
                    e.getMessage());
        }
    }

    @org.junit.jupiter.api.Test
    void aDestinationRefusesAnImageAnotherProcessWrites() throws Exception {
        Path top = overlay();
        try (BlockImage writer = BlockImages.open(top, OpenOptions.of(ImageFormat.QCOW2));
                Vm dst = vm(Accelerator.TCG, top, "-incoming", "defer")) {
            VmStateException e = assertThrows(VmStateException.class, () -> dst.migratable().checkBlockDevicesFree());
            // The holder is this test's JVM (named "jkvm" only when it runs the engine's main class)
            assertTrue(e.getMessage().startsWith("-drive d0: " + top + " is held for writing by ")
                    && e.getMessage().contains("pid " + ProcessHandle.current().pid()), e.getMessage());
            writer.close();
            dst.migratable().checkBlockDevicesFree();
        }
    }
}
