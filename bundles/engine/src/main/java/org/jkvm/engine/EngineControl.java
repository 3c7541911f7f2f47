package org.jkvm.engine;

import java.util.List;
import java.util.function.Consumer;

/**
 * The one control API the monitors (HMP text, QMP JSON) are thin front ends over. Every method is thread-safe
 * and returns once the change has taken effect; failures are {@link EngineException}s whose message the monitor
 * shows as is.
 *
 * <p>Migration commands are added by the monitor module on top of this (it sees the engine as a
 * {@code Migratable} through {@link #migratable()}), so this interface stays free of stream concerns. It speaks no
 * monitor protocol either: run states and events are engine values ({@link RunState}, {@link EngineEvent}), and the
 * monitor module spells them as QMP and HMP do.
 */
public interface EngineControl {
    /** The configuration the VM was built from. */
    VmConfig config();

    /** The current run state. */
    RunState state();

    /** The backend that runs the guest ({@code -accel}). */
    org.jkvm.hypervisor.Accelerator accelerator();

    /**
     * Whether KVM can run guests on this host: true when KVM runs this guest or opened on the way to another
     * backend; when it was not tried, whether its device is usable.
     */
    boolean kvmPresent();

    /** Stops the vCPU; does not wait for the guest. A no-op when already paused. Emits {@link EngineEvent.Stopped}. */
    void stop();

    /** Starts or resumes the vCPU. Emits {@link EngineEvent.Resumed}. @throws EngineException after a shutdown */
    void cont();

    /**
     * Resets the VM: reloads the firmware and the boot registers, resets the devices; keeps the run state. Emits
     * {@link EngineEvent.Reset} with {@link EngineEvent.Cause#HOST_RESET}.
     */
    void systemReset();

    /**
     * Asks the guest to power down (jkvm power-control port 0xf5 reads 0xA5). Emits
     * {@link EngineEvent.PowerdownRequested}.
     */
    void systemPowerdown();

    /**
     * Ends the VM and the process with status 0 (a monitor's quit). Emits {@link EngineEvent.Shutdown} with
     * {@link EngineEvent.Cause#HOST_QUIT}.
     */
    void quit();

    /**
     * Ends the VM and the process with status 1 and {@code reason} on stderr (e.g. a failed incoming migration,
     * as QEMU exits then). Emits {@link EngineEvent.Shutdown} with {@link EngineEvent.Cause#HOST_QUIT}.
     */
    void abort(String reason);

    /**
     * The vCPUs: index, host thread id, current RIP and whether each executes guest code. Reading the RIP of a
     * running vCPU interrupts it briefly (a kick and a register read on its thread).
     */
    List<VcpuInfo> cpus();

    /**
     * Collects the dirty pages the backend and the VMM logged since the previous call (a debugging aid); the first
     * call starts logging and returns 0.
     *
     * @return the number of pages dirtied since the previous call
     */
    long debugDirtyPageCount();

    /** Each disk's I/O accounting now, in attach order; empty without disks. */
    default List<BlockDeviceStats> blockStats() {
        return List.of();
    }

    /** Registers a listener for {@link EngineEvent}s; called on the thread that caused the event. */
    void addListener(Consumer<EngineEvent> listener);

    /**
     * Sets a migration run state ({@link RunState#INMIGRATE}, {@link RunState#FINISH_MIGRATE},
     * {@link RunState#POSTMIGRATE} or back to {@link RunState#PAUSED}); the vCPU must already be paused. Used by the
     * migration wiring in the monitor module.
     */
    void setMigrationState(RunState state);

    /** The VM as the migration engine sees it. */
    org.jkvm.vmstate.Migratable migratable();

    /** The machine's NICs: announcements, link state, what {@code info network} shows. */
    default org.jkvm.engine.net.NetControl net() {
        return org.jkvm.engine.net.NetControl.NONE;
    }

    /** The engine version string, e.g. {@code "0.1.0"}. */
    default String version() {
        return "0.1.0";
    }
}
