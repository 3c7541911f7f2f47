package org.jkvm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.jkvm.block.BlockException;
import org.jkvm.block.BlockImages;
import org.jkvm.block.ImageFormat;
import org.jkvm.block.OpenOptions;
import org.jkvm.hypervisor.Accelerator;
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
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 14 item 7 and acceptance 2/3 with the bundled firmware's {@code workload=disk} (stamped sectors written in
 * order and re-read, its position kept in a header on the disk) on a qcow2 overlay over a raw base in one directory:
 * the workload runs with {@code errors=0} and rising {@code disk_writes}; a new guest on the same image re-checks the
 * whole range with {@code disk_bad=0}; and a migration that fails or is cancelled at each phase leaves the source
 * running, writing with {@code errors=0}, and the image's only writer. On every backend this host has.
 */
class FirmwareDiskTest {
    private static final String APPEND = "workload=disk mib=1 rate=100 hb_ms=300";
    /** A heartbeat of workload=disk (contracts §3). */
    private static final Pattern HB = Pattern.compile(
            "^hb seq=(\\d+) ms=\\d+ .* errors=(\\d+) .* disk_writes=(\\d+) disk_bad=(\\d+)$", Pattern.MULTILINE);

    @TempDir
    Path dir;

    /** One heartbeat: seq, errors, disk_writes, disk_bad. */
    record Hb(int seq, long errors, long writes, long bad) {
    }

    static List<Accelerator> backends() {
        return CrossBackendTest.available();
    }

    /** Where a migration fails: the side and method the fault is injected at, and how the job must end. */
    enum Phase {
        SETUP, RAM_ROUNDS_CANCELLED, DESTINATION_GONE_MID_STREAM, PRE_FLUSH, STOP_FLUSH, FINAL_STATE,
        DESTINATION_LOAD
    }

    static Stream<Arguments> phases() {
        return backends().stream().flatMap(a -> Stream.of(Phase.values()).map(p -> Arguments.of(a, p)));
    }

    /** A 2 MiB raw base and a qcow2 overlay naming it by a relative path, as {@code qemu-img create -b} makes. */
    private Path overlay() throws Exception {
        Files.write(dir.resolve("base.raw"), new byte[2 << 20]);
        Path top = dir.resolve("top.qcow2");
        BlockImages.createQcow2(top, 2 << 20, 65536, "base.raw", ImageFormat.RAW);
        return top;
    }

    private Vm vm(Accelerator accel, Path top, String serial, String... extra) {
        List<String> args = new ArrayList<>(List.of("-accel", accel.optionName(), "-m", "64M", "-append", APPEND,
                "-serial", "file:" + dir.resolve(serial), "-drive",
                "file=" + top + ",format=qcow2,if=none,id=d0,cache=writeback", "-device", "virtio-blk-pci,drive=d0"));
        args.addAll(List.of(extra));
        return Vm.create(VmConfigParser.parse(args));
    }

    private String serial(String name) throws IOException {
        Path f = dir.resolve(name);
        return Files.exists(f) ? Files.readString(f) : "";
    }

    private List<Hb> heartbeats(String name) throws IOException {
        List<Hb> out = new ArrayList<>();
        Matcher m = HB.matcher(serial(name));
        while (m.find()) {
            out.add(new Hb(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
                    Long.parseLong(m.group(4))));
        }
        return out;
    }

    /** Waits for {@code n} heartbeats in total on {@code name}; fails at once if the guest stopped. */
    private List<Hb> awaitHeartbeats(Vm vm, String name, int n) {
        return Await.value(n + " heartbeats on " + name, () -> {
            if (vm.state() == RunState.SHUTDOWN) {
                throw new AssertionError("the guest stopped: " + serial(name));
            }
            return heartbeats(name);
        }, l -> l.size() >= n);
    }

    /** Every heartbeat so far has errors=0 and disk_bad=0, writes rise from one to the next, no fw-error. */
    private void assertWritingWithoutErrors(String name) throws IOException {
        String text = serial(name);
        assertFalse(text.contains("fw-error") || text.contains("disk-bad") || text.contains("disk-ioerr"), text);
        List<Hb> hbs = heartbeats(name);
        for (int i = 0; i < hbs.size(); i++) {
            assertEquals(0, hbs.get(i).errors(), text);
            assertEquals(0, hbs.get(i).bad(), text);
            assertTrue(i == 0 || hbs.get(i).writes() > hbs.get(i - 1).writes(), "disk_writes rises: " + text);
        }
    }

    /** The line the firmware prints once it has found the disk and checked (or started) the range. */
    private String diskLine(String name) throws IOException {
        return serial(name).lines().filter(l -> l.startsWith("disk ")).findFirst().orElse("");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void theDiskWorkloadWritesAndARestartedGuestRechecksTheWholeRange(Accelerator accel) throws Exception {
        Path top = overlay();
        try (Vm first = vm(accel, top, "first.log")) {
            first.cont();
            awaitHeartbeats(first, "first.log", 4);
            assertWritingWithoutErrors("first.log");
            assertTrue(diskLine("first.log").contains(" resume=fresh "), diskLine("first.log"));
            first.systemPowerdown();   // the firmware writes its header and exits 0
            assertEquals(0, first.awaitExit().status(), serial("first.log"));
        }
        long written = heartbeats("first.log").get(heartbeats("first.log").size() - 1).writes();
        try (Vm second = vm(accel, top, "second.log")) {
            second.cont();
            awaitHeartbeats(second, "second.log", 3);
            String line = diskLine("second.log");
            assertTrue(line.contains(" resume=header checked=2040 ") && line.contains(" disk_bad=0 "),
                    "the whole range re-checked: " + line);
            assertTrue(Long.parseLong(line.replaceAll(".* pos=(\\d+) .*", "$1")) >= written % 2040 - 1,
                    "resumes after the sectors the first guest wrote (" + written + "): " + line);
            assertWritingWithoutErrors("second.log");
            second.close();   // as a kill: no header at the end, the next guest finds sectors newer than it
        }
        try (Vm third = vm(accel, top, "third.log")) {
            third.cont();
            awaitHeartbeats(third, "third.log", 2);
            assertTrue(diskLine("third.log").contains(" disk_bad=0 "), diskLine("third.log"));
            assertWritingWithoutErrors("third.log");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("phases")
    void aMigrationFailedAtEachPhaseLeavesTheSourceWritingAndTheOnlyWriter(Accelerator accel, Phase phase)
            throws Exception {
        Path top = overlay();
        try (Vm src = vm(accel, top, "src.log"); Vm dst = vm(accel, top, "dst.log", "-incoming", "defer")) {
            src.cont();
            awaitHeartbeats(src, "src.log", 2);
            OutgoingMigration[] out = new OutgoingMigration[1];
            IncomingMigration[] in = new IncomingMigration[1];
            boolean[] fired = new boolean[1];
            FaultyMigratable.Action fail = () -> {
                fired[0] = true;
                throw new VmStateException("injected at " + phase);
            };
            Migratable source = switch (phase) {
                case SETUP -> FaultyMigratable.before(src.migratable(), "startDirtyLog", 1, fail);
                case RAM_ROUNDS_CANCELLED -> FaultyMigratable.before(src.migratable(), "syncDirtyLog", 1, () -> {
                    fired[0] = true;
                    out[0].cancel();
                });
                case DESTINATION_GONE_MID_STREAM -> FaultyMigratable.before(src.migratable(), "syncDirtyLog", 1, () -> {
                    fired[0] = true;
                    in[0].cancel();
                });
                case PRE_FLUSH -> FaultyMigratable.before(src.migratable(), "preflushBlockDevices", 1, fail);
                case STOP_FLUSH -> FaultyMigratable.before(src.migratable(), "flushBlockDevices", 1, fail);
                case FINAL_STATE -> FaultyMigratable.before(src.migratable(), "saveState", 1, fail);
                case DESTINATION_LOAD -> src.migratable();
            };
            Migratable target = phase == Phase.DESTINATION_LOAD
                    ? FaultyMigratable.before(dst.migratable(), "restoreState", 1, fail) : dst.migratable();
            in[0] = IncomingMigration.start(target, "tcp:127.0.0.1:0", new MigrationListener() { });
            out[0] = OutgoingMigration.start(source, "tcp:127.0.0.1:" + in[0].port(), MigrationParameters.defaults(),
                    new MigrationListener() { });
            MigrationStatus want = phase == Phase.RAM_ROUNDS_CANCELLED ? MigrationStatus.CANCELLED
                    : MigrationStatus.FAILED;
            assertEquals(want, out[0].await(300_000).status(), out[0].stats().toString());
            assertTrue(fired[0], "the fault at " + phase + " was injected");
            String why = String.valueOf(out[0].stats().errorDesc());
            if (phase != Phase.RAM_ROUNDS_CANCELLED && phase != Phase.DESTINATION_GONE_MID_STREAM) {
                assertTrue(why.contains("injected at " + phase), "the error names the fault: " + why);
            }
            assertTrue(in[0].await(60_000) != MigrationStatus.COMPLETED, "the destination did not take over");
            assertEquals(RunState.RUNNING, src.state(), "the source runs after " + phase);
            int seen = heartbeats("src.log").size();
            awaitHeartbeats(src, "src.log", seen + 3);
            assertWritingWithoutErrors("src.log");
            assertTrue(heartbeats("dst.log").isEmpty(), "the destination never ran: " + serial("dst.log"));
            dst.close();
            String refusal = assertThrows(BlockException.class,
                    () -> BlockImages.open(top, OpenOptions.of(ImageFormat.QCOW2)).close()).getMessage();
            assertTrue(refusal.contains("locked for writing"), "the source holds the image: " + refusal);
            awaitHeartbeats(src, "src.log", seen + 5);
            assertWritingWithoutErrors("src.log");
        }
    }
}
