package org.jkvm.monitor;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.engine.Vm;
import org.jkvm.engine.VmConfig;
import org.jkvm.engine.vcpu.CpuStateCodec;
import org.jkvm.hypervisor.x86.CpuState;
import org.jkvm.hypervisor.x86.Msr;
import org.jkvm.vmstate.StateSection;
import org.jkvm.vmstate.StateWriter;

/**
 * Whether the engine's default backend on this host lets jkvm set the guest TSC. jkvm writes the saved IA32_TSC on
 * every restore, so guest time goes on from the save; the software CPU and KVM on ordinary hosts take the write, but
 * kvm_pvm (the nested KVM of this project's test machine) ignores it and the guest TSC stays the host's, so guest
 * time there jumps by the wall-clock gap between a save and its restore. Tests that bound that jump ask this first.
 * Measured once per JVM with a small in-process VM: restore its state with the TSC 10^15 ticks ahead and read it
 * back. Thread-safe.
 */
final class TscProbe {
    private static final long AHEAD = 1_000_000_000_000_000L;
    private static Boolean honoured;

    private TscProbe() {
    }

    /** True when a restored guest TSC takes the saved value on the default backend. */
    static synchronized boolean hostSetsTheGuestTsc() {
        if (honoured == null) {
            honoured = probe();
        }
        return honoured;
    }

    private static boolean probe() {
        try (Vm vm = Vm.create(VmConfig.builder().name("tsc-probe").memoryBytes(16L << 20).build())) {
            List<StateSection> sections = new ArrayList<>(vm.migratable().saveState());
            StateSection cpu = sections.get(0);
            CpuState s = CpuStateCodec.decode(cpu.reader());
            long target = s.tsc() + AHEAD;
            List<Msr> msrs = s.msrs().stream().map(m -> m.index() == Msr.IA32_TSC ? new Msr(Msr.IA32_TSC, target)
                    : m).toList();
            StateWriter w = new StateWriter();
            CpuStateCodec.encode(new CpuState(s.registers(), s.system(), s.fpu(), s.xcr0(), msrs, s.events(),
                    s.activity(), s.debug()), w);
            sections.set(0, new StateSection(cpu.name(), cpu.instance(), cpu.version(), w.toByteArray()));
            vm.migratable().restoreState(sections);
            long read = CpuStateCodec.decode(vm.migratable().saveState().get(0).reader()).tsc();
            return read >= target;
        }
    }
}
