package org.jkvm.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.jkvm.devices.PlatformControl;
import org.jkvm.engine.platform.IrqChipSections;
import org.jkvm.engine.platform.KvmClockSection;
import org.jkvm.engine.vcpu.ExitListener;
import org.jkvm.engine.vcpu.VcpuRunner;
import org.jkvm.engine.vcpu.VcpuStateful;
import org.jkvm.hypervisor.Accelerator;
import org.jkvm.hypervisor.x86.CpuidEntry;
import org.jkvm.vmstate.Migratable;
import org.jkvm.vmstate.ProgressLog;
import org.jkvm.vmstate.StateSet;
import org.jkvm.vmstate.Stateful;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running virtual machine: the {@link Machine}'s native parts, the vCPU thread and the run state, behind the
 * {@link EngineControl} API the monitors use. Create with {@link #create}, start with {@link #cont()}, wait with
 * {@link #awaitExit()}, release with {@link #close()}.
 *
 * <p>Thread-safety: control methods are synchronized and may be called from any monitor thread; the guest runs on
 * the vCPU thread, which reports its end through {@link #awaitExit()}.
 */
public final class Vm implements EngineControl, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Vm.class);

    private final Machine machine;
    private final VcpuRunner runner;
    private final StateSet stateSet;
    private final DirtyLog dirtyLog;
    private final VmMigratable migratable;
    private final List<Consumer<EngineEvent>> listeners = new CopyOnWriteArrayList<>();
    private final CompletableFuture<VmExit> exit = new CompletableFuture<>();
    private volatile RunState state;
    private volatile boolean quitting;

    private Vm(Machine machine) {
        this.machine = machine;
        this.runner = new VcpuRunner(machine.vcpu, new ExitListener() {
            @Override
            public void vcpuFinished(VmExit exit) {
                Vm.this.vcpuFinished(exit);
            }

            @Override
            public boolean guestReset(String source) {
                return Vm.this.guestReset(source);
            }
        });
        this.stateSet = StateSet.of(stateful(machine, runner));
        this.dirtyLog = new DirtyLog(machine.vm, machine.memory);
        this.migratable = new VmMigratable(this);
        this.state = machine.config.incoming() != null ? RunState.INMIGRATE : RunState.PRELAUNCH;
        if (state == RunState.INMIGRATE) {
            machine.nics.discardUntilStart(); // the source's guest still gets its traffic
        }
    }

    /**
     * The migration sections, in the order they are restored: the vCPU, its local APIC (after the CPU: the APIC base
     * and the TSC-deadline MSR come with it), the PICs, I/O APIC and PIT (only with interrupt controllers), the
     * kvmclock (only when CPUID offers it; after the CPU, whose TSC and kvmclock MSRs it goes with), COM1, the
     * ACPI PM device, the RTC and the 8042.
     */
    private static List<Stateful<?>> stateful(Machine m, VcpuRunner runner) {
        List<Stateful<?>> parts = new ArrayList<>();
        parts.add(new VcpuStateful(runner, m.vcpu));
        if (m.irqChip != null) {
            parts.add(IrqChipSections.lapic(m.vcpu.id(), () -> runner.callState(m.vcpu::saveLapic),
                    s -> runner.callState(() -> {
                        m.vcpu.restoreLapic(s);
                        return null;
                    })));
            parts.addAll(IrqChipSections.of(m.irqChip));
        }
        if (KvmClockSection.offered(m.cpuid)) {
            parts.add(KvmClockSection.of(() -> runner.call(m.vm::kvmClockNanos), ns -> runner.call(() -> {
                m.vm.setKvmClockNanos(ns);
                return null;
            })));
        }
        parts.add(new SerialStateful(m.serial));
        parts.add(new AcpiPmStateful(m.acpi));
        parts.addAll(m.devices.sections());
        parts.addAll(m.disks.sections());
        parts.addAll(m.nics.sections());
        return parts;
    }

    /**
     * Builds the VM described by {@code config}, paused before its first instruction.
     *
     * @throws EngineException with one sentence when KVM, the firmware, RAM or a backend cannot be set up
     */
    public static Vm create(VmConfig config) {
        Vm vm = createCold(config);
        vm.warmUp();
        return vm;
    }

    /**
     * Builds the VM like {@link #create} but without the migration warm-up, so a process can open its monitors
     * and its incoming listener first and call {@link #warmUp()} right after (the engine's start-up path).
     *
     * @throws EngineException with one sentence when KVM, the firmware, RAM or a backend cannot be set up
     */
    public static Vm createCold(VmConfig config) {
        Machine m = new Machine(config);
        Vm[] self = new Vm[1];
        m.build(value -> self[0].runner.finish(VmExit.debugExit(value)), new PlatformControl() {
            @Override
            public void requestPowerOff(String source) {
                self[0].runner.finish(VmExit.quit("the guest powered off (" + source + ")"));
            }

            @Override
            public void requestReset(String source) {
                self[0].requestReset(source);
            }
        });
        try {
            self[0] = new Vm(m);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        self[0].machine.serialBackend.attach(self[0].machine.serial, self[0].machine.deviceEvents);
        self[0].runner.start();
        ProgressLog.info(LOG, "VM {} created: {} MiB, -cpu {}, accel {} ({}), TSC {} kHz, firmware {}",
                config.name(), config.memoryBytes() >> 20, config.cpu(), m.hypervisor.accelerator().optionName(),
                m.hypervisor.description(), m.tscKhz, m.imageName);
        return self[0];
    }

    /**
     * Prepares the migration paths once before the guest first runs: computes the configuration fingerprint and
     * saves (on a destination also restores) the state once, so that the first real save or restore inside a
     * migration's downtime finds classes loaded and native structures ready. Idempotent; failures are only logged,
     * the real save reports them. Safe while an incoming stream arrives: it never undoes a real restore.
     */
    public void warmUp() {
        migratable.warmUp();
    }

    @Override
    public VmConfig config() {
        return machine.config;
    }

    @Override
    public RunState state() {
        return state;
    }

    @Override
    public Accelerator accelerator() {
        return machine.hypervisor.accelerator();
    }

    @Override
    public boolean kvmPresent() {
        return machine.kvmPresent;
    }

    /** The resolved CPUID table the guest sees (part of the configuration migration compares). */
    public List<CpuidEntry> cpuid() {
        return machine.cpuid;
    }

    /** Port accesses handled so far (each element of a string instruction counts; for benchmarks and tests). */
    public long ioExits() {
        return machine.ops.pioAccesses();
    }

    /** The guest TSC frequency in kHz. */
    public int tscKhz() {
        return machine.tscKhz;
    }

    @Override
    public synchronized void stop() {
        if (state == RunState.RUNNING) {
            runner.pause();
            machine.vm.pauseGuestTime(); // the TSC and every timer stop at this one instant until resumeVcpu
            // STOP carries the moment the guest stopped running, as QEMU's does (it is sent after the vCPUs pause
            // and before the drain and flush): a downtime measured from it counts the flush on both engines.
            long stopped = EngineEvent.nowMicros();
            machine.nics.stop(); // nothing writes guest memory while paused (a migration's last pass)
            machine.serialBackend.flushPartialLine();
            flushDisks();
            state = RunState.PAUSED;
            emit(new EngineEvent.Stopped(stopped));
        }
    }

    /**
     * A stopped guest's disks hold everything it wrote, as QEMU's stop leaves them (drain, then flush): an operator
     * may copy or check an image of a paused guest. A failure is logged; the guest stays stopped.
     */
    private void flushDisks() {
        try {
            machine.disks.flush();
        } catch (RuntimeException e) {
            LOG.warn("the guest is stopped but flushing its disks failed: {}", e.getMessage());
        }
    }

    @Override
    public synchronized void cont() {
        switch (state) {
            case SHUTDOWN -> throw new EngineException("the VM has shut down and cannot be resumed");
            case INMIGRATE -> throw new EngineException("the VM is waiting for an incoming migration; it starts "
                    + "when the migration completes");
            case RUNNING -> { }
            default -> resumeVcpu();
        }
    }

    /** Resumes from any paused state (also used by migration after an incoming stream). */
    synchronized void resumeVcpu() {
        if (state == RunState.SHUTDOWN || state == RunState.RUNNING) {
            return;
        }
        machine.disks.activate(); // a migration destination takes its images' locks at the handover
        // RUNNING before the vCPU goes: a guest that ends at once (HLT, debug exit) sets SHUTDOWN on the vCPU
        // thread, which must not be overwritten afterwards.
        state = RunState.RUNNING;
        emit(new EngineEvent.Resumed(EngineEvent.nowMicros()));
        machine.vm.resumeGuestTime(); // guest time goes on from the paused instant; kvmclock says it was paused
        runner.resume();
        machine.nics.start(); // after a migration or a restore this announces the NICs ("I'm over here")
    }

    /** Pauses from any state (migration); STOP is emitted only when the guest was running. */
    synchronized void pauseVcpu() {
        stop();
    }

    @Override
    public synchronized void systemReset() {
        if (state == RunState.SHUTDOWN) {
            throw new EngineException("the VM has shut down and cannot be reset");
        }
        boolean wasRunning = state == RunState.RUNNING;
        runner.pause();
        runner.call(() -> {
            machine.resetPlatform();
            return null;
        });
        emit(new EngineEvent.Reset(EngineEvent.Cause.HOST_RESET, EngineEvent.nowMicros()));
        if (wasRunning) {
            runner.resume();
        }
    }

    /**
     * A device's reset request (vCPU thread, inside the guest's port write): with {@code -no-reboot} the engine ends
     * (status 0, as QEMU's), else the vCPU resets the machine once the guest's instruction is over
     * ({@link #guestReset}).
     */
    private void requestReset(String source) {
        if (machine.config.machine().noReboot()) {
            runner.finish(VmExit.quit("the guest reset the machine (" + source + ") and -no-reboot ends the engine"));
        } else {
            runner.requestReset(source);
        }
    }

    /**
     * The guest reset the machine (vCPU thread, out of the guest): reset it unless {@code -no-reboot}, which ends
     * the engine (a triple fault then as a failure, with its register dump).
     */
    private boolean guestReset(String source) {
        if (machine.config.machine().noReboot()) {
            return false;
        }
        LOG.info("the guest reset the machine ({})", source);
        machine.resetPlatform();
        emit(new EngineEvent.Reset(EngineEvent.Cause.GUEST_RESET, EngineEvent.nowMicros()));
        return true;
    }

    @Override
    public void systemPowerdown() {
        if (state == RunState.SHUTDOWN) {
            throw new EngineException("the VM has already shut down");
        }
        machine.power.requestShutdown();
        machine.deviceEvents.lock(); // not between the saves of the I/O APIC and of the ACPI device
        try {
            machine.acpi.pressPowerButton();
        } finally {
            machine.deviceEvents.unlock();
        }
        emit(new EngineEvent.PowerdownRequested(EngineEvent.nowMicros()));
    }

    @Override
    public void quit() {
        quitting = true;
        runner.terminate();
    }

    @Override
    public void abort(String reason) {
        quitting = true;
        runner.terminate(VmExit.failure(reason, ""));
    }

    @Override
    public List<VcpuInfo> cpus() {
        long rip = runner.rip();
        return List.of(new VcpuInfo(0, runner.nativeThreadId(), rip, state != RunState.RUNNING));
    }

    @Override
    public long debugDirtyPageCount() {
        return dirtyLog.sync(null);
    }

    @Override
    public List<BlockDeviceStats> blockStats() {
        return machine.disks == null ? List.of() : machine.disks.stats();
    }

    @Override
    public void addListener(Consumer<EngineEvent> listener) {
        listeners.add(listener);
    }

    @Override
    public synchronized void setMigrationState(RunState s) {
        if (state == RunState.RUNNING || state == RunState.SHUTDOWN) {
            throw new EngineException("cannot set the run state " + s + " while the VM is " + state
                    + "; pause it first");
        }
        state = s;
    }

    /** Tells every listener, on this thread; a failing listener is logged and the others still hear it. */
    private void emit(EngineEvent event) {
        for (Consumer<EngineEvent> l : listeners) {
            try {
                l.accept(event);
            } catch (RuntimeException e) {
                LOG.debug("event listener failed", e);
            }
        }
    }

    @Override
    public Migratable migratable() {
        return migratable;
    }

    /**
     * Waits for the end of the VM (debug exit, quit, guest failure).
     *
     * @return why it ended; {@link VmExit#status()} is the process exit status
     */
    public VmExit awaitExit() {
        return exit.join();
    }

    /** The future completed when the VM ends. */
    public CompletableFuture<VmExit> exitFuture() {
        return exit;
    }

    /** Stops the vCPU thread and releases every native resource, newest first; idempotent. */
    @Override
    public void close() {
        runner.terminate();
        dirtyLog.close();
        machine.close();
    }

    @Override
    public org.jkvm.engine.net.NetControl net() {
        return machine.nics;
    }

    Machine machine() {
        return machine;
    }

    VcpuRunner runner() {
        return runner;
    }

    StateSet stateSet() {
        return stateSet;
    }

    DirtyLog dirtyLog() {
        return dirtyLog;
    }

    private void vcpuFinished(VmExit why) {
        state = RunState.SHUTDOWN;
        // The engine's Main prints failures to the user; the log keeps them for debugging.
        ProgressLog.info(LOG, "VM ended: {}{}{}", why.reason(), why.registerDump().isEmpty() ? "" : "\n",
                why.registerDump());
        machine.serialBackend.close();
        EngineEvent.Cause cause = quitting ? EngineEvent.Cause.HOST_QUIT
                : why.failure() ? EngineEvent.Cause.GUEST_PANIC : EngineEvent.Cause.GUEST_SHUTDOWN;
        emit(new EngineEvent.Shutdown(cause, EngineEvent.nowMicros()));
        exit.complete(why);
    }

    /** A copy of the current listeners, for tests. */
    List<Consumer<EngineEvent>> listeners() {
        return new ArrayList<>(listeners);
    }
}
