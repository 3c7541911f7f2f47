package org.jkvm.engine.platform;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.hypervisor.HvIrqChip;
import org.jkvm.hypervisor.HvVcpu;
import org.jkvm.hypervisor.pc.IoapicState;
import org.jkvm.hypervisor.pc.LapicState;
import org.jkvm.hypervisor.pc.PicState;
import org.jkvm.hypervisor.pc.PitState;
import org.jkvm.hypervisor.x86.CpuState;
import org.jkvm.hypervisor.x86.Msr;

/**
 * The CPU, local APIC, PICs, I/O APIC and PIT as the backend created them: what a system reset (the guest's, or
 * the monitor's {@code system_reset}) puts back before the firmware or kernel is loaded again, as a PC's reset line
 * does. Captured once, after the CPUID is set and before anything runs. The TSC is left out: it counts on through
 * a reset, so guest time never goes back.
 */
public final class PowerOnState {
    private final CpuState cpu;
    private final LapicState lapic;
    private final PicState pic;
    private final IoapicState ioapic;
    private final PitState pit;

    private PowerOnState(CpuState cpu, LapicState lapic, PicState pic, IoapicState ioapic, PitState pit) {
        this.cpu = cpu;
        this.lapic = lapic;
        this.pic = pic;
        this.ioapic = ioapic;
        this.pit = pit;
    }

    /**
     * Captures the power-on state; on the vCPU's owner thread.
     *
     * @param chip the interrupt controllers, or null
     */
    public static PowerOnState capture(HvVcpu vcpu, HvIrqChip chip) {
        CpuState s = vcpu.saveState();
        List<Msr> msrs = new ArrayList<>(s.msrs().size());
        for (Msr m : s.msrs()) {
            if (m.index() != Msr.IA32_TSC) {
                msrs.add(m);
            }
        }
        CpuState cpu = new CpuState(s.registers(), s.system(), s.fpu(), s.xcr0(), msrs, s.events(), s.activity(),
                s.debug());
        if (chip == null) {
            return new PowerOnState(cpu, null, null, null, null);
        }
        return new PowerOnState(cpu, vcpu.saveLapic(), chip.savePic(), chip.saveIoapic(), chip.savePit());
    }

    /** Puts it back; on the vCPU's owner thread, with the vCPU out of the guest. */
    public void apply(HvVcpu vcpu, HvIrqChip chip) {
        if (chip != null) {
            chip.restorePic(pic);
            chip.restoreIoapic(ioapic);
            chip.restorePit(pit);
        }
        vcpu.restoreState(cpu);
        if (chip != null) {
            vcpu.restoreLapic(lapic);
        }
    }
}
