package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.jkvm.engine.Backends;
import org.jkvm.firmware.Firmware;
import org.jkvm.hypervisor.Accelerator;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed's "a 32-bit guest can be migrated at will" (issue 13, deliver 3): the 32-bit build of the firmware,
 * entered through multiboot in 32-bit protected mode without paging, migrates live with its verify workload, and
 * every heartbeat on both sides says errors=0: the software CPU to the software CPU, and where KVM exists, KVM to
 * KVM and KVM to the software CPU. It is also saved to a gzip state file and restored (the seed's savevm/loadvm
 * commands) on each backend.
 */
class Firmware32MigrationTest {
    private static final long HB_MS = 300;

    @TempDir
    Path dir;

    private String[] common(String cpu) {
        Path fw32 = Firmware.extract32To(dir);
        return new String[] {"-kernel", fw32.toString(), "-cpu", cpu, "-append",
            "workload=verify mib=4 rate=500 hb_ms=" + HB_MS};
    }

    private void migrate(String[] common, Accelerator from, Accelerator to) throws Exception {
        Path a = Files.createDirectories(dir.resolve("src-" + from.optionName()));
        Path b = Files.createDirectories(dir.resolve("dst-" + to.optionName()));
        int port = EngineProcess.freePort();
        try (EngineProcess src = EngineProcess.start(a, concat(common, "-accel", from.optionName()));
                EngineProcess dst = EngineProcess.start(b, concat(common, "-accel", to.optionName(), "-incoming",
                        "tcp:0:" + port));
                HmpClient hs = HmpClient.of(src); HmpClient hd = HmpClient.of(dst)) {
            src.awaitHeartbeats(3, 60_000);
            assertTrue(src.serialText().lines().findFirst().orElse("").endsWith(" bits=32"),
                    "the 32-bit build runs: " + src.serialText());
            assertEquals("", hs.cmd("migrate -d tcp:127.0.0.1:" + port));
            Map<String, String> info = hs.awaitMigration("completed", 120_000);
            assertEquals("completed", info.get("Migration status"), info + "\n" + src.stderr() + dst.stderr());
            Heartbeats.assertContinues(src, dst, 3, HB_MS, Long.parseLong(info.get("downtime")));
            String all = src.serialText() + dst.serialText();
            Heartbeats.assertNoErrors("32-bit firmware " + from.optionName() + " -> " + to.optionName(), all);
            assertEquals("VM status: running", hd.cmd("info status"));
            hs.cmd("quit");
            hd.cmd("quit");
            assertEquals(0, src.awaitExit(30_000), src.stderr());
            assertEquals(0, dst.awaitExit(30_000), dst.stderr());
        }
    }

    @Test
    void softwareCpuToSoftwareCpu() throws Exception {
        Require.that(Backends.installed(Accelerator.TCG), "the software CPU (bundles/softcpu) is not built");
        migrate(common("qemu64"), Accelerator.TCG, Accelerator.TCG);
    }

    @Test
    void kvmToKvm() throws Exception {
        Require.kvm();
        migrate(common("qemu64"), Accelerator.KVM, Accelerator.KVM);
    }

    @Test
    void kvmToSoftwareCpu() throws Exception {
        Require.kvm();
        Require.that(Backends.installed(Accelerator.TCG), "the software CPU (bundles/softcpu) is not built");
        migrate(common(CrossBackendMigrationTest.commonCpu()), Accelerator.KVM, Accelerator.TCG);
    }

    /**
     * Saves the running 32-bit guest with {@code migrate "exec:gzip -c > FILE"}, quits, and restores it in a new
     * engine with {@code -incoming "exec: gzip -c -d FILE"}: the restored guest continues its heartbeats with
     * errors=0. Where the host ignores writes to the guest TSC (kvm_pvm, see {@link TscProbe}) the guest's time
     * jumps by the wall-clock gap between the save and the restore, which is then allowed.
     */
    private void saveAndRestore(String[] common, Accelerator accel) throws Exception {
        Require.command("gzip");
        Path state = dir.resolve("fw32-" + accel.optionName() + ".gz");
        Path a = Files.createDirectories(dir.resolve("save-" + accel.optionName()));
        String saved;
        long savedAt;
        try (EngineProcess src = EngineProcess.start(a, concat(common, "-accel", accel.optionName()));
                HmpClient hs = HmpClient.of(src)) {
            src.awaitHeartbeats(3, 60_000);
            assertTrue(src.serialText().lines().findFirst().orElse("").endsWith(" bits=32"),
                    "the 32-bit build runs: " + src.serialText());
            assertEquals("", hs.cmd("migrate_set_speed 4095m"));
            assertEquals("", hs.cmd("migrate \"exec:gzip -c > " + state + "\""), "the save completes first");
            assertEquals("completed", hs.infoMigrate().get("Migration status"));
            savedAt = System.currentTimeMillis();
            hs.cmd("quit");
            assertEquals(0, src.awaitExit(30_000), src.stderr());
            saved = src.serialText();
        }
        Path b = Files.createDirectories(dir.resolve("restore-" + accel.optionName()));
        try (EngineProcess dst = EngineProcess.start(b, concat(common, "-accel", accel.optionName(), "-incoming",
                "exec: gzip -c -d " + state)); HmpClient hd = HmpClient.of(dst)) {
            dst.awaitHeartbeats(3, 60_000);
            long gapMs = System.currentTimeMillis() - savedAt;
            boolean exact = accel == Accelerator.TCG || TscProbe.hostSetsTheGuestTsc();
            Heartbeats.assertContinues(saved, dst, 3, HB_MS, exact ? 1000 : 1000 + gapMs);
            Heartbeats.assertNoErrors("32-bit firmware saved and restored on " + accel.optionName(),
                    saved + dst.serialText());
            assertEquals("VM status: running", hd.cmd("info status"));
            hd.cmd("quit");
            assertEquals(0, dst.awaitExit(30_000), dst.stderr());
        }
    }

    @Test
    void savedAndRestoredOnTheSoftwareCpu() throws Exception {
        Require.that(Backends.installed(Accelerator.TCG), "the software CPU (bundles/softcpu) is not built");
        saveAndRestore(common("qemu64"), Accelerator.TCG);
    }

    @Test
    void savedAndRestoredOnKvm() throws Exception {
        Require.kvm();
        saveAndRestore(common("qemu64"), Accelerator.KVM);
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
