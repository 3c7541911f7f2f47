package org.jkvm.hypervisor;

/**
 * Why {@link HvVcpu#run()} returned. Port I/O and MMIO are handled inside {@code run()} through {@link VmOps}, so
 * the engine's exit switch is short: go on, look at the command queue, or end the VM.
 */
public enum VcpuExit {
    /** Something was handled (an I/O access, a spurious exit); call {@code run()} again. */
    CONTINUE,
    /** {@link HvVcpu#kick()} (or a signal) interrupted the guest: look at the command queue. */
    INTERRUPTED,
    /**
     * The guest executed {@code HLT}; its activity state is {@link org.jkvm.hypervisor.x86.ActivityState#HALTED}.
     * Only without interrupt controllers ({@link HvVm#createIrqChip()} not called), where nothing can wake it, which
     * the engine treats as the guest's end. With them, a halted vCPU waits inside {@code run()} for an interrupt (or
     * a kick, which returns {@link #INTERRUPTED}), as KVM's in-kernel local APIC does.
     */
    HLT,
    /** The guest triple-faulted (or otherwise shut the CPU down); {@link HvVcpu#exitDetail()} says more. */
    SHUTDOWN,
    /** The guest asked for power-off through a backend mechanism (KVM's system event). */
    POWER_OFF,
    /**
     * The backend cannot go on (an instruction it cannot execute, a failed VM entry, an exit it does not know);
     * {@link HvVcpu#exitDetail()} has the sentence.
     */
    FAILED
}
