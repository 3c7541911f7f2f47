package org.jkvm.hypervisor.x86;

import java.util.List;

/**
 * The whole architectural state of one x86-64 vCPU between two instructions: what a migration carries, whichever
 * backend saved it and whichever restores it.
 *
 * @param registers general-purpose registers, RIP, RFLAGS
 * @param system    segment, descriptor-table and control registers, EFER, APIC base
 * @param fpu       x87/SSE/AVX state in XSAVE format
 * @param xcr0      XCR0 (which state components XSAVE manages; 1 = x87 only)
 * @param msrs      model-specific registers, including IA32_TSC (guest time); order kept
 * @param events    events in flight
 * @param activity  the activity state
 * @param debug     debug registers
 */
public record CpuState(Registers registers, SystemRegisters system, XsaveArea fpu, long xcr0, List<Msr> msrs,
                       PendingEvents events, ActivityState activity, DebugRegisters debug) {
    /** Copies the MSR list and checks that nothing is missing. */
    public CpuState {
        java.util.Objects.requireNonNull(registers, "registers");
        java.util.Objects.requireNonNull(system, "system");
        java.util.Objects.requireNonNull(fpu, "fpu");
        java.util.Objects.requireNonNull(events, "events");
        java.util.Objects.requireNonNull(activity, "activity");
        java.util.Objects.requireNonNull(debug, "debug");
        msrs = List.copyOf(msrs);
    }

    /** IA32_TSC as saved, or -1 when it was not saved. */
    public long tsc() {
        return Msr.find(msrs, Msr.IA32_TSC, -1);
    }
}
