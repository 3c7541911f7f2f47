package org.jkvm.hypervisor;

import org.jkvm.memory.MemoryRegion;

/**
 * One VM of a backend: its RAM mapping (fixed at creation), the dirty log, and vCPU creation.
 *
 * <p>Close the vCPUs before the VM. The dirty-log methods may be called from any thread while the vCPU runs.
 */
public interface HvVm extends AutoCloseable {
    /**
     * Creates vCPU {@code id}; the caller owns and closes it. Its registers are the x86 reset state until set.
     *
     * @param id  the vCPU (APIC) id, from 0
     * @param ops how the vCPU reaches devices; called on the vCPU's thread only
     */
    HvVcpu createVcpu(int id, VmOps ops);

    /**
     * Creates the PC's interrupt controllers and interval timer ({@link HvIrqChip}); call once, before the first
     * {@link #createVcpu}, so that every vCPU gets a local APIC. Without it a vCPU has no local APIC: external
     * interrupts come only through {@link HvVcpu#injectInterrupt}, and HLT returns {@link VcpuExit#HLT}.
     *
     * @throws HypervisorException when the backend cannot provide them (the sentence says what to do)
     */
    default HvIrqChip createIrqChip() {
        throw new HypervisorException("this backend has no interrupt controllers; use -accel kvm or -accel tcg");
    }

    /**
     * Whether {@link #createIrqChip()} can succeed on this VM (KVM: the host's KVM has the in-kernel irqchip and
     * PIT). False by default.
     */
    default boolean irqChipSupported() {
        return false;
    }

    /**
     * The guest's kvmclock now, in nanoseconds: what its {@code pvclock_vcpu_time_info} structures give (KVM:
     * {@code KVM_GET_CLOCK}; the software CPU: vCPU 0's clock). Saved by migration and restored with
     * {@link #setKvmClockNanos} before the vCPUs run, so the guest's clock goes on from where it was. Call it with
     * the vCPUs stopped, on vCPU 0's thread.
     *
     * @throws HypervisorException when the backend has no kvmclock
     */
    default long kvmClockNanos() {
        throw new HypervisorException("this backend has no kvmclock; start the guest with -cpu ...,-kvmclock");
    }

    /**
     * Sets the guest's kvmclock to {@code nanos} now; every vCPU rewrites its structure before it next runs. Call it
     * with the vCPUs stopped, on vCPU 0's thread.
     *
     * @throws HypervisorException when the backend has no kvmclock
     */
    default void setKvmClockNanos(long nanos) {
        throw new HypervisorException("this backend has no kvmclock; start the guest with -cpu ...,-kvmclock");
    }

    /**
     * The guest time the engine's own devices count (RTC, ACPI PM timer, UART timeouts), the clock of the backend's
     * timers. The software CPU's: its TSC and timers read it, and {@link #pauseGuestTime()} freezes it. KVM's: the
     * host's monotonic clock, never paused (its TSC, kvmclock and in-kernel timers run on through a pause). The same
     * object for the VM's life.
     */
    GuestClock guestClock();

    /**
     * The VM is paused: its vCPUs are out of the guest and stay out until {@link #resumeGuestTime()}. The software
     * CPU stops guest time here at one instant (its {@link #guestClock()}), so a state saved or restored while paused
     * is one instant of guest time for the TSC and every timer. Idempotent; any thread.
     */
    default void pauseGuestTime() {
    }

    /**
     * The VM is about to run again after {@link #pauseGuestTime()}: guest time goes on from the instant it stopped at
     * (software CPU), and each vCPU's kvmclock tells the guest it was paused ({@code PVCLOCK_GUEST_STOPPED}; KVM:
     * {@code KVM_KVMCLOCK_CTRL} before the vCPU next enters the guest), so its soft-lockup watchdog does not count
     * the pause. Without a pause before it, nothing happens. Call it before the vCPUs are resumed; any thread.
     */
    default void resumeGuestTime() {
    }

    /** Number of 64-bit words a dirty bitmap of {@code region} needs ({@code ceil(pages / 64)}). */
    int dirtyLogWords(MemoryRegion region);

    /**
     * Copies the pages the guest wrote in {@code region} since the previous call into {@code bitmap} (bit
     * {@code p % 64} of word {@code p / 64} is page {@code p} of the region) and starts a new round: a write that
     * completes after this returns is reported by the next call. Pages written by the VMM itself are not included
     * (they are in {@link MemoryRegion#vmmDirty()}).
     *
     * @param region one of the regions the VM was created with
     * @param bitmap at least {@link #dirtyLogWords} words; overwritten
     */
    void fetchDirtyLog(MemoryRegion region, long[] bitmap);

    /** Releases the VM; idempotent. */
    @Override
    void close();
}
