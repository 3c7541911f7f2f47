package org.jkvm.hypervisor;

import java.util.List;

import org.jkvm.hypervisor.x86.CpuState;
import org.jkvm.hypervisor.x86.CpuidEntry;
import org.jkvm.hypervisor.x86.Msr;
import org.jkvm.hypervisor.x86.Registers;
import org.jkvm.hypervisor.x86.SystemRegisters;

/**
 * One virtual CPU. One thread owns it ({@link #bindToCurrentThread()}) and makes every call except {@link #kick()}
 * and {@link #injectInterrupt(int)}, which any thread may call. State methods are valid only while {@link #run()} is
 * not executing.
 */
public interface HvVcpu extends AutoCloseable {
    /** The vCPU (APIC) id. */
    int id();

    /** Makes the calling thread the owner (KVM: installs the kick signal and records the thread). Call once. */
    void bindToCurrentThread();

    /**
     * Runs guest code until something the engine must see: a handled I/O access, a kick, HLT, a shutdown or a
     * failure. Port I/O and MMIO go to {@link VmOps} during the call. Allocation-free on the common paths.
     */
    VcpuExit run();

    /**
     * A sentence describing the last {@link VcpuExit#SHUTDOWN} or {@link VcpuExit#FAILED} (e.g. "the guest
     * triple-faulted"), or the empty string.
     */
    String exitDetail();

    /**
     * Makes a running (or the next) {@link #run()} return {@link VcpuExit#INTERRUPTED} soon: within a millisecond
     * of guest time. Any thread; idempotent until {@code run()} has returned.
     */
    void kick();

    /**
     * Finishes an I/O instruction the guest is in the middle of (KVM: a run with {@code immediate_exit}), so that
     * the saved state is between two instructions. A no-op when nothing is pending.
     */
    void completePendingIo();

    /** Sets the CPUID table the guest sees ({@code KVM_SET_CPUID2}); before the first run. */
    void setCpuid(List<CpuidEntry> entries);

    /** The guest TSC frequency in kHz. */
    int tscKhz();

    /**
     * Sets the guest TSC frequency; before the first run.
     *
     * @throws HypervisorException when the backend cannot run the TSC at that rate on this host
     */
    void setTscKhz(int khz);

    /** The general-purpose registers, RIP and RFLAGS. */
    Registers registers();

    /** Sets the general-purpose registers, RIP and RFLAGS. */
    void setRegisters(Registers registers);

    /**
     * Writes MSRs as the guest's WRMSR would, with its checks (a boot protocol's initial values, such as the
     * MTRR default type a firmware would have set); with the vCPU out of the guest.
     *
     * @throws HypervisorException naming the first MSR the backend refuses
     */
    void setMsrs(List<Msr> msrs);

    /** Segment, descriptor-table and control registers and EFER. */
    SystemRegisters systemRegisters();

    /** Sets segment, descriptor-table and control registers and EFER (mode switches take effect at once). */
    void setSystemRegisters(SystemRegisters registers);

    /**
     * The whole architectural state (registers, FPU/XSAVE, XCR0, the backend's migratable MSRs including
     * IA32_TSC, pending events, activity state, debug registers), between two instructions.
     */
    CpuState saveState();

    /**
     * Restores a state saved by {@link #saveState()} of this or another backend. MSRs the backend does not know
     * are skipped (and logged at debug level); everything architectural is applied.
     *
     * @throws HypervisorException with one sentence when the state cannot be applied
     */
    void restoreState(CpuState state);

    /**
     * Raises an external interrupt with {@code vector} (32-255): delivered through the IDT at the next instruction
     * boundary where RFLAGS.IF is set and no interrupt shadow is active, waking a halted vCPU. One interrupt can be
     * pending; the interrupt controllers (a later part of jkvm) hold the rest. Any thread.
     *
     * @return false when another interrupt is still pending (nothing changed)
     * @throws HypervisorException when the backend cannot inject interrupts
     */
    boolean injectInterrupt(int vector);

    /**
     * The local APIC's state (only when the VM has an {@link HvIrqChip}); with every vCPU paused.
     *
     * @throws HypervisorException when the VM has no interrupt controllers
     */
    default org.jkvm.hypervisor.pc.LapicState saveLapic() {
        throw new HypervisorException("the VM has no local APIC (no interrupt controllers were created)");
    }

    /**
     * Restores the local APIC; the timer counts on from the saved current count in the guest's time.
     *
     * @throws HypervisorException when the VM has no interrupt controllers
     */
    default void restoreLapic(org.jkvm.hypervisor.pc.LapicState state) {
        throw new HypervisorException("the VM has no local APIC (no interrupt controllers were created)");
    }

    /**
     * Whether, while the owner thread is out of {@link #run()} and leaves the vCPU alone, another thread may call
     * {@link #saveState}, {@link #restoreState}, {@link #saveLapic} and {@link #restoreLapic} (the caller provides
     * the happens-before edges with the owner). A backend whose vCPU state lives in the process (the software CPU)
     * says yes; the default is no, and the state calls then go through the owner thread.
     */
    default boolean stateCallsFromAnyThread() {
        return false;
    }

    /** Releases the vCPU; idempotent. */
    @Override
    void close();
}
