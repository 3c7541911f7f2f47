package org.jkvm.kvm.hv;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.jkvm.hypervisor.HvVcpu;
import org.jkvm.hypervisor.HypervisorException;
import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.hypervisor.VmOps;
import org.jkvm.hypervisor.pc.LapicState;
import org.jkvm.hypervisor.x86.ActivityState;
import org.jkvm.hypervisor.x86.CpuState;
import org.jkvm.hypervisor.x86.CpuidEntry;
import org.jkvm.hypervisor.x86.PendingEvents;
import org.jkvm.hypervisor.x86.Registers;
import org.jkvm.hypervisor.x86.SystemRegisters;
import org.jkvm.kvm.KvmException;
import org.jkvm.kvm.KvmRun;
import org.jkvm.kvm.MpState;
import org.jkvm.kvm.VcpuFd;

/**
 * A KVM vCPU behind the seam: {@code KVM_RUN} with port I/O and MMIO handled inside {@link #run()} through
 * {@link VmOps} (allocation-free), the exits mapped to {@link VcpuExit}, and the state converted to and from the
 * architectural records ({@link KvmConvert}, {@link KvmEvents}, {@link KvmMsrs}).
 *
 * <p>Without an in-kernel irqchip two parts of the architectural state live here rather than in KVM: an external
 * interrupt raised ({@link #injectInterrupt}) but not yet accepted by the guest (given to KVM with
 * {@code KVM_INTERRUPT} once an interrupt window opens), and the halted state after {@code HLT} (KVM only exits;
 * it has no halted MP state without an in-kernel LAPIC). With the irqchip ({@link KvmVm#createIrqChip()}) KVM
 * holds both: {@code HLT} waits in the kernel (the MP state is HALTED and round-trips), interrupts come from the
 * local APIC, and the vCPU's local APIC page is {@link #saveLapic()}.
 *
 * <p>Thread-safety: one owner thread; {@link #kick()} and {@link #injectInterrupt} from any thread.
 */
final class KvmVcpu implements HvVcpu {
    /** IA32_TSC_DEADLINE: its value lives in the in-kernel local APIC. */
    static final int MSR_TSC_DEADLINE = 0x6e0;

    private final VcpuFd fd;
    private final KvmRun run;
    private final KvmIo io;
    private final int[] msrIndices;
    private final boolean tscControl;
    /** The VM has the in-kernel irqchip: KVM holds the halted state and the interrupts. */
    private final boolean irqchip;
    /**
     * IA32_TSC_DEADLINE of the last {@link #restoreState}, or null: KVM ignores the MSR unless the local APIC's
     * timer is in TSC-deadline mode, so {@link #restoreLapic} writes it again once the LVT is back.
     */
    private org.jkvm.hypervisor.x86.Msr restoredDeadline;
    /** The external interrupt raised but not yet given to KVM, or -1. Any thread sets it; the owner takes it. */
    private final AtomicInteger pending = new AtomicInteger(-1);
    /** The last exit was port I/O or MMIO, whose instruction KVM completes on the next KVM_RUN. */
    private boolean ioPending;
    /** The guest executed HLT (or a halted state was restored) and no interrupt has woken it. */
    private boolean halted;
    /** RFLAGS.IF when it halted: only then can an external interrupt wake it. */
    private boolean haltedIf;
    /** kvm_run's ready_for_interrupt_injection describes the current state (no state was set since the exit). */
    private boolean exitFresh;
    private String detail = "";
    /** The guest was paused: {@code KVM_KVMCLOCK_CTRL} before the next {@code KVM_RUN} (set from any thread). */
    private volatile boolean pausedClock;

    KvmVcpu(VcpuFd fd, VmOps ops, int[] msrIndices, boolean tscControl, boolean irqchip) {
        this.fd = fd;
        this.run = fd.kvmRun();
        this.io = new KvmIo(run, ops);
        this.msrIndices = msrIndices.clone();
        this.tscControl = tscControl;
        this.irqchip = irqchip;
    }

    /**
     * The VM was paused: before the vCPU next enters the guest, {@code KVM_KVMCLOCK_CTRL} makes KVM set
     * PVCLOCK_GUEST_STOPPED in its kvmclock structure. Any thread; the caller knows the kernel has the ioctl.
     */
    void guestPaused() {
        pausedClock = true;
    }

    /** {@code KVM_KVMCLOCK_CTRL}; a guest without kvmclock on this vCPU (EINVAL) needs nothing. */
    private void tellClockPaused() {
        try {
            fd.kvmclockCtrl();
        } catch (KvmException e) {
            // only the guest's lockup watchdog misses the pause; nothing to stop the vCPU for
            org.slf4j.LoggerFactory.getLogger(KvmVcpu.class).debug("KVM_KVMCLOCK_CTRL failed", e);
        }
    }

    @Override
    public int id() {
        return fd.id();
    }

    @Override
    public void bindToCurrentThread() {
        try {
            fd.bindToCurrentThread();
        } catch (KvmException e) {
            throw new HypervisorException(e.getMessage(), e);
        }
    }

    @Override
    public VcpuExit run() {
        if (!irqchip) {
            if (halted && !wake()) {
                return VcpuExit.HLT;
            }
            offerInterrupt();
        }
        if (pausedClock) {
            pausedClock = false;
            tellClockPaused();
        }
        int reason = fd.run();
        ioPending = false;
        if (reason < 0) {
            run.immediateExit(false); // EINTR / EAGAIN: a kick; the caller looks at its commands
            exitFresh = false;
            return VcpuExit.INTERRUPTED;
        }
        exitFresh = true;
        return switch (reason) {
            case KvmRun.EXIT_IO -> {
                ioPending = true;
                io.pio();
                yield VcpuExit.CONTINUE;
            }
            case KvmRun.EXIT_MMIO -> {
                ioPending = true;
                io.mmio();
                yield VcpuExit.CONTINUE;
            }
            case KvmRun.EXIT_INTR -> VcpuExit.INTERRUPTED;
            case KvmRun.EXIT_IRQ_WINDOW_OPEN -> VcpuExit.CONTINUE; // the next run() injects
            case KvmRun.EXIT_HLT -> halt();
            default -> fatal(reason);
        };
    }

    /** The exits that end the guest: a sentence for each, as the engine reports it. */
    private VcpuExit fatal(int reason) {
        switch (reason) {
            case KvmRun.EXIT_SHUTDOWN -> {
                detail = "the guest triple-faulted (KVM_EXIT_SHUTDOWN)";
                return VcpuExit.SHUTDOWN;
            }
            case KvmRun.EXIT_INTERNAL_ERROR -> detail = "KVM reported an internal error, suberror "
                    + run.internalSuberror() + (run.internalSuberror() == KvmRun.INTERNAL_ERROR_EMULATION
                            ? " (instruction emulation failed)" : "");
            case KvmRun.EXIT_FAIL_ENTRY -> detail = "KVM could not enter the guest, hardware reason 0x"
                    + Long.toHexString(run.failEntryReason());
            case KvmRun.EXIT_SYSTEM_EVENT -> {
                if (run.systemEventType() == 1) {
                    detail = "the guest requested power-off";
                    return VcpuExit.POWER_OFF;
                }
                detail = "the guest raised system event " + run.systemEventType();
            }
            default -> detail = "unexpected KVM exit " + KvmRun.exitName(reason);
        }
        return VcpuExit.FAILED;
    }

    /**
     * KVM_EXIT_HLT: RIP is past the HLT. An interrupt already raised wakes the guest at once. With the irqchip KVM
     * halts in the kernel and never exits for HLT; should it, the next run goes on.
     */
    private VcpuExit halt() {
        if (irqchip) {
            return VcpuExit.CONTINUE;
        }
        if (pending.get() >= 0 && run.ifFlag()) {
            return VcpuExit.CONTINUE;
        }
        halted = true;
        haltedIf = run.ifFlag();
        detail = "the guest halted";
        return VcpuExit.HLT;
    }

    /** Whether a raised interrupt ends the halted state (it can only when RFLAGS.IF was set). */
    private boolean wake() {
        if (pending.get() >= 0 && haltedIf) {
            halted = false;
            return true;
        }
        return false;
    }

    /**
     * Gives KVM the raised interrupt when the last exit said the guest takes one now, else asks KVM to exit as
     * soon as it does ({@code request_interrupt_window}, KVM_EXIT_IRQ_WINDOW_OPEN).
     */
    private void offerInterrupt() {
        int vector = pending.get();
        if (vector < 0) {
            run.requestInterruptWindow(false);
            return;
        }
        if (exitFresh && run.readyForInterruptInjection()) {
            fd.interrupt(vector);
            pending.compareAndSet(vector, -1);
            run.requestInterruptWindow(false);
        } else {
            run.requestInterruptWindow(true);
        }
    }

    @Override
    public String exitDetail() {
        return detail;
    }

    @Override
    public void kick() {
        fd.kick();
    }

    /** KVM_RUN with immediate_exit finishes an emulated I/O instruction and returns EINTR (KVM api.rst). */
    @Override
    public void completePendingIo() {
        if (ioPending) {
            run.immediateExit(true);
            fd.run();
            run.immediateExit(false);
            ioPending = false;
            exitFresh = false;
        }
    }

    @Override
    public void setMsrs(List<org.jkvm.hypervisor.x86.Msr> msrs) {
        List<Integer> refused = get("set MSRs", () -> KvmMsrs.write(fd, msrs));
        if (!refused.isEmpty()) {
            throw new HypervisorException("KVM refuses MSR 0x" + Integer.toHexString(refused.get(0))
                    + " on this host; it cannot be set for the guest");
        }
    }

    @Override
    public void setCpuid(List<CpuidEntry> entries) {
        List<org.jkvm.kvm.CpuidEntry> kvm = new ArrayList<>(entries.size());
        for (CpuidEntry e : entries) {
            kvm.add(KvmConvert.kvmCpuid(e));
        }
        call("set the CPUID table", () -> fd.setCpuid2(kvm));
    }

    @Override
    public int tscKhz() {
        try {
            return fd.getTscKhz();
        } catch (KvmException e) {
            throw new HypervisorException("KVM cannot report the guest TSC frequency: " + e.getMessage(), e);
        }
    }

    @Override
    public void setTscKhz(int khz) {
        int host = tscKhz();
        if (khz == host) {
            return;
        }
        String why = tscControl ? "refused that ratio" : "cannot scale the TSC (no KVM_CAP_TSC_CONTROL)";
        try {
            fd.setTscKhz(khz);
        } catch (KvmException e) {
            // KVM records the requested rate before it finds it cannot run it (KVM_GET_TSC_KHZ would then report a
            // rate the guest does not get): put the host's back, which always works.
            try {
                fd.setTscKhz(host);
            } catch (KvmException again) {
                e.addSuppressed(again);
            }
            throw tscFailure(khz, host, why + " (" + e.getMessage() + ")", e);
        }
    }

    private static HypervisorException tscFailure(int khz, int host, String why, Throwable cause) {
        return new HypervisorException("KVM cannot run the guest TSC at " + khz + " kHz on this host, whose TSC runs "
                + "at " + host + " kHz: it " + why + "; use " + host + " kHz or a host with TSC scaling", cause);
    }

    @Override
    public Registers registers() {
        return get("read the registers", () -> KvmConvert.registers(fd.getRegs()));
    }

    @Override
    public void setRegisters(Registers registers) {
        exitFresh = false;
        call("set the registers", () -> fd.setRegs(KvmConvert.regs(registers)));
    }

    @Override
    public SystemRegisters systemRegisters() {
        return get("read the system registers", () -> KvmConvert.systemRegisters(fd.getSregs()));
    }

    @Override
    public void setSystemRegisters(SystemRegisters registers) {
        exitFresh = false;
        call("set the system registers", () -> fd.setSregs(KvmConvert.sregs(registers, -1)));
    }

    @Override
    public CpuState saveState() {
        return get("save the vCPU state", () -> {
            PendingEvents events = KvmEvents.events(fd.getVcpuEvents(), pending.get());
            ActivityState activity = halted && !irqchip ? ActivityState.HALTED : KvmEvents.activity(fd.getMpState());
            return new CpuState(KvmConvert.registers(fd.getRegs()), KvmConvert.systemRegisters(fd.getSregs()),
                    KvmConvert.xsaveArea(fd.getXsave()), KvmConvert.xcr0(fd.getXcrs()), KvmMsrs.read(fd, msrIndices),
                    events, activity, KvmConvert.debug(fd.getDebugRegs()));
        });
    }

    /**
     * Restores in the order KVM needs (registers, XSAVE, XCRs, system registers with the APIC base, MSRs, MP state,
     * events, debug registers). Without the irqchip, HALTED is kept here (KVM takes only RUNNABLE without an
     * in-kernel LAPIC) and a CPU waiting for a start-up IPI or shut down cannot be restored; with it the MP state
     * goes to KVM. The local APIC follows separately ({@link #restoreLapic}).
     */
    @Override
    public void restoreState(CpuState state) {
        if (state.activity() == ActivityState.SHUTDOWN || !irqchip && state.activity() == ActivityState.WAIT_FOR_SIPI) {
            throw new HypervisorException("cannot restore a vCPU in activity state " + state.activity()
                    + " on KVM" + (irqchip ? "" : " without an in-kernel interrupt controller")
                    + "; restore a state saved while it ran");
        }
        CpuState s = KvmEvents.deliverPayload(state);
        PendingEvents e = s.events();
        int queued = e.injectedInterrupt() >= 0 && !e.injectedSoft() ? e.injectedInterrupt() : -1;
        MpState mp = irqchip ? KvmEvents.mpState(s.activity()) : new MpState(MpState.RUNNABLE);
        call("restore the vCPU state", () -> {
            fd.setRegs(KvmConvert.regs(s.registers()));
            fd.setXsave(KvmConvert.xsave(s.fpu(), fd.xsaveSize()));
            fd.setXcrs(KvmConvert.xcrs(s.xcr0()));
            fd.setSregs(KvmConvert.sregs(s.system(), queued));
            KvmMsrs.write(fd, s.msrs());
            fd.setMpState(mp);
            fd.setVcpuEvents(KvmEvents.vcpuEvents(e));
            fd.setDebugRegs(KvmConvert.debugRegs(s.debug()));
        });
        restoredDeadline = null;
        for (org.jkvm.hypervisor.x86.Msr m : s.msrs()) {
            if (m.index() == MSR_TSC_DEADLINE) {
                restoredDeadline = m;
            }
        }
        halted = !irqchip && s.activity() == ActivityState.HALTED;
        haltedIf = (s.registers().rflags() & (1L << 9)) != 0;
        pending.set(irqchip ? -1 : e.pendingInterrupt());
        ioPending = false;
        exitFresh = false;
    }

    /** {@code KVM_GET_LAPIC}: the local APIC page, with the timer's current count as it reads now. */
    @Override
    public LapicState saveLapic() {
        requireIrqchip();
        return get("read the local APIC", () -> KvmPlatform.lapic(fd.getLapic()));
    }

    /**
     * {@code KVM_SET_LAPIC} (KVM resumes the timer from the page's current count), then IA32_TSC_DEADLINE of the
     * last {@link #restoreState} again, which KVM only takes once the LVT timer is in TSC-deadline mode. Call after
     * {@link #restoreState} (the APIC base comes with the system registers).
     */
    @Override
    public void restoreLapic(LapicState state) {
        requireIrqchip();
        call("restore the local APIC", () -> {
            fd.setLapic(KvmPlatform.kvmLapic(state));
            if (restoredDeadline != null) {
                KvmMsrs.write(fd, List.of(restoredDeadline));
            }
        });
    }

    private void requireIrqchip() {
        if (!irqchip) {
            throw new HypervisorException("the VM has no local APIC (no interrupt controllers were created)");
        }
    }

    @Override
    public boolean injectInterrupt(int vector) {
        if (irqchip) {
            throw new HypervisorException("the VM has interrupt controllers, which deliver external interrupts; "
                    + "raise a GSI through the irqchip instead of injecting vector " + vector);
        }
        if (vector < 32 || vector > 255) {
            throw new HypervisorException("external interrupt vector " + vector + " is not 32-255; vectors 0-31 "
                    + "are the CPU's exceptions");
        }
        if (!pending.compareAndSet(-1, vector)) {
            return false;
        }
        fd.kick(); // a guest that never exits must leave KVM_RUN for the injection
        return true;
    }

    @Override
    public void close() {
        fd.close();
    }

    private interface KvmCall {
        void run();
    }

    private interface KvmGet<T> {
        T get();
    }

    private static void call(String what, KvmCall c) {
        get(what, () -> {
            c.run();
            return null;
        });
    }

    /** Runs a KVM call, turning the binding's and the conversions' failures into one sentence of this layer. */
    private static <T> T get(String what, KvmGet<T> c) {
        try {
            return c.get();
        } catch (KvmException | IllegalArgumentException e) {
            throw new HypervisorException("KVM could not " + what + ": " + e.getMessage(), e);
        }
    }
}
