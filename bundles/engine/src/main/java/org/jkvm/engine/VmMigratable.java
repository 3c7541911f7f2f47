package org.jkvm.engine;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.jkvm.engine.platform.PcDevices;
import org.jkvm.hypervisor.x86.CpuidEntry;
import org.jkvm.memory.DirtyBitmap;
import org.jkvm.memory.GuestMemory;
import org.jkvm.memory.MemoryRegion;
import org.jkvm.vmstate.Migratable;
import org.jkvm.vmstate.StateSection;
import org.jkvm.vmstate.VmStateException;

/**
 * The engine as migration sees it ({@link Migratable}): RAM, the dirty log, pause/resume, throttling, the
 * state sections (cpu#0, with interrupt controllers lapic#0, pic#0, ioapic#0, pit#0; serial#0, rtc#0, i8042#0)
 * and the configuration fingerprint. Thread-safety follows {@link Vm}.
 */
final class VmMigratable implements Migratable {
    /** The fingerprint key carrying {@code -abi-fingerprint} (docs/contracts.md §5); absent when not given. */
    static final String ABI_KEY = "domain.abi-fingerprint";

    private final Vm vm;
    private final Throttle throttle;
    /**
     * Computed once, on first use or at {@link #warmUp()} (off the start-up path): the configuration never changes.
     * Guarded by {@code this}.
     */
    private Map<String, String> fingerprint;
    /** Whether the warm-up ran or a real restore happened (then the warm-up must not restore). Guarded by this. */
    private boolean warmedUp;
    /** Set when a real restore is waiting for the lock: the warm-up's restore rounds then end at once. */
    private volatile boolean restoreWaiting;
    /**
     * How often a destination's warm-up restores its own initial state: the real restore comes inside the guest's
     * downtime, and after one rehearsal it still took 1.4-2.4 ms of CPU (the CPU section 1.3 ms, the clock 1 ms);
     * the JIT compiles it after some dozens of rounds (0.6 ms after 50, 0.3 after 150, software CPU, ten sections).
     * System property {@code jkvm.migration.warmup.restore-rounds} (0: one restore only; for A/B measurements).
     */
    private static final int RESTORE_ROUNDS = Integer.getInteger("jkvm.migration.warmup.restore-rounds", 150);

    VmMigratable(Vm vm) {
        this.vm = vm;
        this.throttle = new Throttle(vm);
    }

    @Override
    public void pause() {
        vm.pauseVcpu();
    }

    @Override
    public void resume() {
        vm.resumeVcpu();
    }

    @Override
    public boolean isRunning() {
        return vm.state() == RunState.RUNNING;
    }

    @Override
    public GuestMemory memory() {
        return vm.machine().memory;
    }

    @Override
    public void startDirtyLog() {
        vm.dirtyLog().sync(null);
    }

    @Override
    public void stopDirtyLog() {
        // The backend logs all the time (from the VM's creation on); nothing to switch off.
    }

    @Override
    public long syncDirtyLog(List<DirtyBitmap> into) {
        return vm.dirtyLog().sync(into);
    }

    @Override
    public void setThrottle(int percent) {
        throttle.set(percent);
    }

    @Override
    public int throttle() {
        return throttle.percent();
    }

    @Override
    public List<StateSection> saveState() {
        if (vm.runner().isRunning()) {
            throw new VmStateException("cannot save the VM state while it runs; pause it first");
        }
        vm.machine().vm.pauseGuestTime(); // one instant of guest time for every part, however slow the save
        vm.machine().deviceEvents.lock();
        try {
            return vm.stateSet().save();
        } finally {
            vm.machine().deviceEvents.unlock();
        }
    }

    @Override
    public void restoreState(List<StateSection> sections) {
        restoreWaiting = true; // ends the warm-up's restore rounds, if any, after the current one
        restoreStateLocked(sections);
    }

    private synchronized void restoreStateLocked(List<StateSection> sections) {
        warmedUp = true;
        if (vm.runner().isRunning()) {
            throw new VmStateException("cannot restore the VM state while it runs; pause it first");
        }
        vm.machine().vm.pauseGuestTime(); // restored at one instant; all go on from it at the resume
        restoreQuietly(sections);
        // QEMU announces every NIC when the restored guest starts (after a migration, a loadvm or a restore)
        vm.machine().nics.announceAtNextStart();
    }

    /**
     * Restores with the interrupt lines quiet: the devices' restored levels are already in the restored interrupt
     * controllers ({@link org.jkvm.engine.platform.IrqLines#quiet()}). The device events are held meanwhile, so that
     * a timer a device arms at its restore (to raise a line the source had not raised yet) fires once the lines
     * speak, and console input waits for the restored UART.
     */
    private void restoreQuietly(List<StateSection> sections) {
        vm.machine().deviceEvents.lock();
        try (AutoCloseable quiet = vm.machine().irqLines.quiet()) {
            vm.stateSet().restore(sections);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            vm.machine().deviceEvents.unlock();
        }
    }

    /**
     * Saves the state once before the guest first runs and drops it, so that the first real save (inside a
     * migration's downtime) finds the classes loaded and the native structures prepared. Failures are only logged:
     * the real save reports them. On a destination ({@code -incoming}) the saved state is also restored, for the
     * same reason on the restore path, and again {@link #RESTORE_ROUNDS} times unless a real restore comes first
     * (the incoming stream has at least the RAM to carry before it); the guest has not run, and the stream's state
     * replaces it later anyway.
     */
    synchronized void warmUp() {
        if (warmedUp) {
            return;
        }
        warmedUp = true;
        try {
            long t0 = System.nanoTime();
            configFingerprint();
            if (vm.runner().isRunning()) {
                return;
            }
            List<StateSection> initial = vm.stateSet().save();
            if (vm.config().incoming() != null) {
                restoreQuietly(initial);
                // A real restore waits for the lock at most one round (it sets restoreWaiting first).
                for (int i = 0; i < RESTORE_ROUNDS && !restoreWaiting; i++) {
                    restoreQuietly(initial);
                }
            }
            org.slf4j.LoggerFactory.getLogger(VmMigratable.class).debug("migration warm-up took {} us",
                    (System.nanoTime() - t0) / 1000);
        } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(VmMigratable.class).debug("migration warm-up failed", e);
        }
    }

    @Override
    public String migrationBlocker() {
        String nested = nestedVirtualizationBlocker(vm.cpuid(), vm.config().cpu().toString());
        return nested != null ? nested : vm.machine().disks.migrationBlocker();
    }

    /**
     * The blocker for a CPU that exposes VMX (leaf 1 ECX bit 5) or SVM (leaf 0x80000001 ECX bit 2): a guest could
     * run guests of its own, whose state (KVM's nested state) jkvm does not save, so a migration or savevm would
     * resume them broken (the seed's "migration does not work when running nested guests"). QEMU refuses the same
     * way when it cannot migrate nested state. Null when neither is exposed.
     */
    static String nestedVirtualizationBlocker(List<CpuidEntry> cpuid, String cpu) {
        for (CpuidEntry e : cpuid) {
            String feature = e.function() == 1 && (e.ecx() & (1 << 5)) != 0 ? "vmx"
                    : e.function() == 0x8000_0001 && (e.ecx() & (1 << 2)) != 0 ? "svm" : null;
            if (feature != null) {
                String fix = cpu.contains(",+" + feature) ? cpu.replace(",+" + feature, "") : cpu + ",-" + feature;
                return "the guest's CPU (-cpu " + cpu + ") exposes " + feature + " for nested virtualization, and "
                        + "jkvm cannot migrate the state of a guest's own guests; start the guest with -cpu " + fix
                        + " to make it migratable";
            }
        }
        return null;
    }

    @Override
    public synchronized Map<String, String> configFingerprint() {
        if (fingerprint == null) {
            fingerprint = java.util.Collections.unmodifiableMap(computeFingerprint());
        }
        return fingerprint;
    }

    private Map<String, String> computeFingerprint() {
        Map<String, String> f = new TreeMap<>();
        VmConfig c = vm.config();
        f.put("ram.bytes", Long.toString(c.memoryBytes()));
        for (MemoryRegion r : memory().regions()) {
            f.put("ram.region." + r.slot(), "0x" + Long.toHexString(r.gpa()) + "+0x" + Long.toHexString(r.sizeBytes()));
        }
        f.put("vcpus", Integer.toString(c.vcpus()));
        // Not the TSC frequency (leaf 0x40000010 below carries the resulting rate) nor the accelerator: a guest
        // migrates between backends, and between a default rate and the same rate given with tsc-frequency.
        f.put("cpu.model", c.cpu().modelAndFeatures());
        for (CpuidEntry e : vm.cpuid()) {
            // Hex by hand: String.format would load Formatter, regex and locale data on the start-up path.
            f.put("cpuid." + hex8(e.function()) + "." + e.index(),
                    hex8(e.eax()) + "," + hex8(e.ebx()) + "," + hex8(e.ecx()) + "," + hex8(e.edx()));
        }
        f.put("device.serial.0", "16550a@0x3f8");
        f.put("device.debug-exit.0", "0xf4");
        f.put("device.power-control.0", "0xf5");
        PcDevices.fingerprint(f);
        // With interrupt controllers the stream has their sections (pic, ioapic, pit, lapic): both ends must agree.
        f.put("machine.irqchip", vm.machine().irqChip != null ? "on" : "off");
        for (String disk : vm.machine().disks.names()) {
            f.put("device.virtio-blk." + disk.substring(0, disk.indexOf('@')), disk.substring(disk.indexOf('@') + 1));
        }
        for (String[] nic : vm.machine().nics.fingerprint()) {
            f.put("device.virtio-net." + nic[0], nic[1]);
        }
        if (c.abiFingerprint() != null) {
            f.put(ABI_KEY, c.abiFingerprint());
        }
        return f;
    }

    /** {@code value} as 8 lower-case hex digits, as {@code %08x}. */
    static String hex8(int value) {
        String h = Integer.toHexString(value);
        return "00000000".substring(h.length()) + h;
    }

    @Override
    public void flushBlockDevices() {
        vm.machine().disks.flush();
    }

    // The disk steps below run inside the guest's downtime (all but the pre-flush), each for the first time in
    // the engine's life: no lambdas there, whose call sites would be linked on that first run (a fraction of a
    // millisecond of CPU each, stretched several times on a loaded host).

    @Override
    public void preflushBlockDevices() {
        try {
            vm.machine().disks.preflush();
        } catch (EngineException e) {
            throw diskStepFailed(e);
        }
    }

    @Override
    public void inactivateBlockDevices() {
        try {
            vm.machine().disks.inactivate();
        } catch (EngineException e) {
            throw diskStepFailed(e);
        }
    }

    @Override
    public void activateBlockDevices() {
        try {
            vm.machine().disks.activate();
        } catch (EngineException e) {
            throw diskStepFailed(e);
        }
    }

    @Override
    public void checkBlockDevicesFree() {
        try {
            vm.machine().disks.checkFree();
        } catch (EngineException e) {
            throw diskStepFailed(e);
        }
    }

    @Override
    public Runnable raiseDowntimePriority() {
        return DowntimePriority.raise();
    }

    /** A disk step's sentence as a {@link VmStateException} (what migration expects). */
    private static VmStateException diskStepFailed(EngineException e) {
        return new VmStateException(e.getMessage(), e);
    }
}
