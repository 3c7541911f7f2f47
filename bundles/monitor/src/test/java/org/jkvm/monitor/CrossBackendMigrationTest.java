package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.jkvm.engine.Backends;
import org.jkvm.engine.VmConfig;
import org.jkvm.engine.cpu.CpuFeature;
import org.jkvm.engine.cpu.CpuModel;
import org.jkvm.hypervisor.Accelerator;
import org.jkvm.hypervisor.Hypervisor;
import org.jkvm.hypervisor.x86.CpuidEntry;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, acceptance 4's cross-backend part: a guest started on KVM migrates live to the software CPU and back
 * with errors=0, its heartbeats continuing across both moves. Both engines run the same {@code -cpu} (qemu64 without
 * the features either backend lacks, at KVM's TSC rate), so the configuration fingerprints match. Needs a host with
 * KVM (a cross-backend test: it skips without).
 */
class CrossBackendMigrationTest {
    private static final long HB_MS = 300;

    @TempDir
    Path dir;

    /** qemu64 minus the model features KVM or the software CPU lacks, at KVM's TSC rate. */
    static String commonCpu() {
        StringBuilder cpu = new StringBuilder("qemu64");
        List<List<CpuidEntry>> tables = new ArrayList<>();
        int tscKhz = 0;
        for (Accelerator a : List.of(Accelerator.KVM, Accelerator.TCG)) {
            try (Hypervisor h = Backends.open(List.of(a), VmConfig.defaultKvmDevice()).hypervisor()) {
                tables.add(h.supportedCpuid());
                tscKhz = a == Accelerator.KVM ? h.defaultTscKhz() : tscKhz;
            }
        }
        for (String name : CpuModel.byName("qemu64").features()) {
            CpuFeature f = CpuFeature.byName(name);
            boolean everywhere = name.equals("hypervisor") || tables.stream().allMatch(t -> t.stream()
                    .anyMatch(e -> e.matches(f.leaf(), f.subleaf())
                            && (new int[] {e.eax(), e.ebx(), e.ecx(), e.edx()}[f.register()] & f.mask()) != 0));
            if (!everywhere) {
                cpu.append(",-").append(name);
            }
        }
        return cpu.append(",tsc-frequency=").append(tscKhz * 1000L).toString();
    }

    /**
     * {@code on} when both backends have interrupt controllers, else {@code off}: a guest moves only between
     * machines that agree (the fingerprint's {@code machine.irqchip}); the software CPU has none yet.
     */
    static String commonIrqchip() {
        for (Accelerator a : List.of(Accelerator.KVM, Accelerator.TCG)) {
            try (Hypervisor h = Backends.open(List.of(a), VmConfig.defaultKvmDevice()).hypervisor();
                    var mem = org.jkvm.memory.MmapGuestMemory.allocate(16L << 20); var vm = h.createVm(mem)) {
                if (!vm.irqChipSupported()) {
                    return "off";
                }
            }
        }
        return "on";
    }

    /** Migrates {@code from} (running) to {@code to} (waiting on {@code port}) and checks the guest goes on. */
    private static void migrate(EngineProcess from, EngineProcess to, int port) throws Exception {
        try (HmpClient hf = HmpClient.of(from); HmpClient ht = HmpClient.of(to)) {
            assertEquals("VM status: paused (inmigrate)", ht.cmd("info status"));
            assertEquals("", hf.cmd("migrate -d tcp:127.0.0.1:" + port));
            Map<String, String> info = hf.awaitMigration("completed", 120_000);
            assertEquals("completed", info.get("Migration status"), info + "\n" + from.stderr() + to.stderr());
            Heartbeats.assertContinues(from, to, 3, HB_MS, Long.parseLong(info.get("downtime")));
            assertEquals("VM status: running", ht.cmd("info status"));
            hf.cmd("quit");
            assertEquals(0, from.awaitExit(30_000), from.stderr());
        }
    }

    @Test
    void aGuestMovesLiveFromKvmToTheSoftwareCpuAndBack() throws Exception {
        Require.that(Require.kvmAvailable(), "this cross-backend test needs KVM (" + Require.kvmDevice() + ")");
        Require.that(Backends.installed(Accelerator.TCG), "the software CPU (bundles/softcpu) is not built");
        String[] common = {"-cpu", commonCpu(), "-machine", "pc,kernel-irqchip=" + commonIrqchip(), "-append",
            "workload=verify mib=4 rate=500 hb_ms=" + HB_MS};
        Path a = Files.createDirectories(dir.resolve("kvm"));
        Path b = Files.createDirectories(dir.resolve("tcg"));
        Path c = Files.createDirectories(dir.resolve("kvm-again"));
        int toTcg = EngineProcess.freePort();
        try (EngineProcess onKvm = EngineProcess.start(a, concat(common, "-accel", "kvm"));
                EngineProcess onTcg = EngineProcess.start(b, concat(common, "-accel", "tcg", "-incoming",
                        "tcp:0:" + toTcg))) {
            onKvm.awaitHeartbeats(3, 60_000);
            migrate(onKvm, onTcg, toTcg);
            int back = EngineProcess.freePort();
            try (EngineProcess again = EngineProcess.start(c, concat(common, "-accel", "kvm", "-incoming",
                    "tcp:0:" + back))) {
                onTcg.awaitHeartbeats(onTcg.seqs().size() + 3, 60_000);
                migrate(onTcg, again, back);
                String all = onKvm.serialText() + onTcg.serialText() + again.serialText();
                assertTrue(Heartbeats.parse(all).size() >= 9, all);
                Heartbeats.assertNoErrors("kvm -> tcg -> kvm", all);
                try (HmpClient h = HmpClient.of(again)) {
                    assertEquals("kvm support: enabled", h.cmd("info kvm"));
                    h.cmd("quit");
                }
                assertEquals(0, again.awaitExit(30_000), again.stderr());
            }
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
