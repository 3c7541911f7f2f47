package org.jkvm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.jkvm.engine.cpu.CpuFeature;
import org.jkvm.engine.cpu.CpuModel;
import org.jkvm.hypervisor.Accelerator;
import org.jkvm.hypervisor.Hypervisor;
import org.jkvm.hypervisor.x86.CpuidEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same guest on each backend this host has: with {@code -accel kvm} when the KVM device is usable and with
 * {@code -accel tcg} when the software CPU is installed. With a CPU model both implement (qemu64 without the
 * features either lacks) and the same TSC frequency, the guest sees the same CPU (its first line, every CPUID leaf)
 * and the migration fingerprints match, which is what lets a guest move between the backends.
 */
class CrossBackendTest {
    @TempDir
    Path dir;

    /** The backends this host can run: a cross-backend test runs what there is. */
    static List<Accelerator> available() {
        List<Accelerator> out = new ArrayList<>();
        if (Backends.deviceUsable(VmConfig.defaultKvmDevice())) {
            out.add(Accelerator.KVM);
        }
        if (Backends.installed(Accelerator.TCG)) {
            out.add(Accelerator.TCG);
        }
        return out;
    }

    /**
     * qemu64 minus every model feature one of {@code accels} does not implement, at one TSC frequency (KVM's when
     * KVM is there: it can only run its host's here), so the table is the same on all of them.
     */
    static String commonCpu(List<Accelerator> accels) {
        StringBuilder cpu = new StringBuilder("qemu64");
        int tscKhz = 2_000_000;
        List<List<CpuidEntry>> tables = new ArrayList<>();
        for (Accelerator a : accels) {
            try (Hypervisor h = Backends.open(List.of(a), VmConfig.defaultKvmDevice()).hypervisor()) {
                tables.add(h.supportedCpuid());
                if (a == Accelerator.KVM) {
                    tscKhz = h.defaultTscKhz();
                }
            }
        }
        for (String name : CpuModel.byName("qemu64").features()) {
            CpuFeature f = CpuFeature.byName(name);
            for (List<CpuidEntry> t : tables) {
                if (!name.equals("hypervisor") && (register(t, f) & f.mask()) == 0) {
                    cpu.append(",-").append(name);
                    break;
                }
            }
        }
        return cpu.append(",tsc-frequency=").append(tscKhz * 1000L).toString();
    }

    private static int register(List<CpuidEntry> t, CpuFeature f) {
        for (CpuidEntry e : t) {
            if (e.matches(f.leaf(), f.subleaf())) {
                return new int[] {e.eax(), e.ebx(), e.ecx(), e.edx()}[f.register()];
            }
        }
        return 0;
    }

    /**
     * The first line without the leaf-1 fields: kvm_pvm (the nested KVM of this project's test machine) runs
     * CPUID leaf 1 without an exit, so a guest there sees the host's leaf 1 whatever table it was given (leaf
     * 0x80000001, NX and LM it does take from the table). The tables themselves are compared in full.
     */
    static String withoutLeaf1(String firstLine) {
        return firstLine.replaceAll(" cpuid1\\.e[cd]x=0x[0-9a-f]+", "");
    }

    /**
     * {@code kernel-irqchip=on} when every backend of {@code accels} has interrupt controllers, else {@code off}:
     * a guest moves only between machines that both have them or both lack them (the fingerprint's
     * {@code machine.irqchip}), and until the software CPU has its own, a KVM guest that is to move there runs
     * without.
     */
    static MachineOptions commonMachine(List<Accelerator> accels) {
        for (Accelerator a : accels) {
            try (Hypervisor h = Backends.open(List.of(a), VmConfig.defaultKvmDevice()).hypervisor();
                    var mem = org.jkvm.memory.MmapGuestMemory.allocate(16L << 20); var vm = h.createVm(mem)) {
                if (!vm.irqChipSupported()) {
                    return MachineOptions.DEFAULT.withIrqchip(MachineOptions.IrqChip.OFF);
                }
            }
        }
        return MachineOptions.DEFAULT.withIrqchip(MachineOptions.IrqChip.ON);
    }

    private VmConfig config(Accelerator accel, String cpu) {
        return config(accel, cpu, MachineOptions.DEFAULT);
    }

    private VmConfig config(Accelerator accel, String cpu, MachineOptions machine) {
        return VmConfig.builder().name("x").uuid(UUID.fromString("c7a5fdbd-cdaf-9455-926a-d65c16db1809"))
                .memoryBytes(64L << 20).cpu(CpuSpec.parse(cpu))
                .append("workload=verify mib=1 rate=200 hb_ms=100 exit_after=3")
                .serial(new CharDev.FileDev(dir.resolve(accel.optionName() + ".log"))).accel(List.of(accel))
                .machine(machine).build();
    }

    @Test
    void theSameGuestSeesTheSameCpuOnEveryBackend() throws Exception {
        List<Accelerator> accels = available();
        assertFalse(accels.isEmpty(), "this host has neither a usable KVM device nor the software CPU");
        String cpu = commonCpu(accels);
        MachineOptions machine = commonMachine(accels);
        Map<Accelerator, String> firstLines = new LinkedHashMap<>();
        Map<Accelerator, List<CpuidEntry>> tables = new LinkedHashMap<>();
        Map<Accelerator, Map<String, String>> fingerprints = new LinkedHashMap<>();
        for (Accelerator a : accels) {
            try (Vm vm = Vm.create(config(a, cpu, machine))) {
                assertEquals(a, vm.accelerator());
                tables.put(a, vm.cpuid());
                fingerprints.put(a, vm.migratable().configFingerprint());
                vm.cont();
                VmExit exit = vm.awaitExit();
                String serial = Files.readString(dir.resolve(a.optionName() + ".log"));
                assertEquals(0, exit.status(), a + ": " + exit.reason() + "\n" + serial);
                assertTrue(serial.contains("hb seq=2 ") && !serial.contains("errors=1"), a + ": " + serial);
                firstLines.put(a, serial.lines().findFirst().orElse(""));
                if (a == Accelerator.TCG) {
                    CpuidEntry leaf1 = vm.cpuid().stream().filter(e -> e.function() == 1).findFirst().orElseThrow();
                    assertTrue(firstLines.get(a).contains(String.format(" cpuid1.ecx=0x%08x cpuid1.edx=0x%08x ",
                            leaf1.ecx(), leaf1.edx())), "the software CPU shows leaf 1 of the table: " + leaf1 + " vs "
                            + firstLines.get(a));
                }
                assertTrue(firstLines.get(a).contains(" tsc_khz=" + CpuSpec.parse(cpu).tscKhz() + " "),
                        a + " runs the TSC at the rate given: " + firstLines.get(a));
            }
        }
        Accelerator first = accels.get(0);
        for (Accelerator a : accels) {
            assertEquals(withoutLeaf1(firstLines.get(first)), withoutLeaf1(firstLines.get(a)),
                    "-cpu " + cpu + ": the guest's view on " + a);
            assertEquals(tables.get(first), tables.get(a), "-cpu " + cpu + ": the CPUID table on " + a);
            assertEquals(fingerprints.get(first), fingerprints.get(a), "the migration fingerprint on " + a);
        }
    }

    @Test
    void aTscFrequencyIsTheGuestsOrOneSentenceNamingTheOption() throws Exception {
        for (Accelerator a : available()) {
            int half;
            try (Hypervisor h = Backends.open(List.of(a), VmConfig.defaultKvmDevice()).hypervisor()) {
                half = h.defaultTscKhz() / 2;
            }
            String cpu = "qemu64,tsc-frequency=" + half * 1000L;
            Vm vm;
            try {
                vm = Vm.create(config(a, cpu));
            } catch (EngineException e) {
                assertEquals(Accelerator.KVM, a, "only KVM may be unable to scale the TSC: " + e.getMessage());
                assertTrue(e.getMessage().startsWith("-cpu " + cpu + ": KVM cannot run the guest TSC at " + half
                        + " kHz on this host, whose TSC runs at "), e.getMessage());
                continue;
            }
            try (vm) {
                assertEquals(half, vm.tscKhz(), a.toString());
                assertEquals(half, vm.cpuid().stream().filter(e -> e.function() == 0x40000010).findFirst()
                        .orElseThrow().eax(), "leaf 0x40000010 on " + a);
            }
        }
    }
}
