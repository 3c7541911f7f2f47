package org.jkvm.softcpu;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.jkvm.hypervisor.HvVcpu;
import org.jkvm.hypervisor.HypervisorException;
import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.hypervisor.VmOps;
import org.jkvm.hypervisor.x86.ActivityState;
import org.jkvm.hypervisor.x86.CpuState;
import org.jkvm.hypervisor.pc.LapicState;
import org.jkvm.hypervisor.x86.CpuidEntry;
import org.jkvm.hypervisor.x86.Msr;
import org.jkvm.hypervisor.x86.PendingEvents;
import org.jkvm.hypervisor.x86.Registers;
import org.jkvm.hypervisor.x86.SystemRegisters;
import org.jkvm.hypervisor.x86.XsaveArea;
import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.GuestFault;
import org.jkvm.softcpu.cpu.Vec;
import org.jkvm.softcpu.exec.Runner;
import org.jkvm.softcpu.fpu.FpuImage;
import org.jkvm.softcpu.mem.PhysMemory;
import org.jkvm.softcpu.platform.Lapic;
import org.jkvm.softcpu.platform.PlatformOps;
import org.jkvm.softcpu.platform.SoftIrqChip;
import org.jkvm.softcpu.sys.Interrupts;
import org.jkvm.softcpu.sys.KvmClock;

/**
 * One software vCPU. The owner thread calls everything except {@link #kick()} and {@link #injectInterrupt(int)}, and
 * the state calls while the owner leaves the vCPU alone ({@link #stateCallsFromAnyThread()}).
 * Setting registers or restoring a state drops all decoded code (the VMM may have changed RAM meanwhile).
 */
public final class SoftVcpu implements HvVcpu {
    private final SoftVm vm;
    private final Cpu c;
    private final Runner runner;
    private final ConcurrentLinkedQueue<long[]> invalidations = new ConcurrentLinkedQueue<>();
    private volatile boolean writeFlush;
    /** The last restored XSAVE area: its bytes beyond x87/SSE (AVX from KVM) are kept for a move back. */
    private XsaveArea fpuCarried = XsaveArea.reset(XsaveArea.KVM_SIZE);
    private PendingEvents.ExceptionEvent pendingException;
    /** The VM's platform and this vCPU's local APIC, or null without interrupt controllers. */
    private final SoftIrqChip chip;
    private final Lapic lapic;

    SoftVcpu(SoftVm vm, int id, VmOps ops, PhysMemory phys, int tscKhz, SoftIrqChip chip) {
        this.vm = vm;
        this.c = new Cpu(id, phys);
        this.c.ops = ops;
        this.c.tsc.useClock(vm.guestClock()::nanos);
        this.c.tsc.setKhz(tscKhz);
        this.c.tsc.set(0);
        this.c.msrs.kvmClock.rateChanged(0, tscKhz);
        this.c.msrs.kvmClock.memory = vm.memory();
        this.runner = new Runner(c);
        runner.cache.onNewCodePage = () -> vm.newCodePage(this);
        c.mmu.code = new org.jkvm.softcpu.mem.Mmu.CodeInvalidator() {
            @Override
            public void invalidatePage(long page) {
                runner.cache.invalidatePage(page);
            }

            @Override
            public int write(long page, int off, int n) {
                vm.codeWritten(SoftVcpu.this, page, off, n);
                return runner.cache.write(page, off, n);
            }

            @Override
            public long chunks(long page) {
                return runner.cache.chunks(page);
            }
        };
        runner.crossRequests = this::crossRequests;
        StateIo.reset(c);
        this.chip = chip;
        if (chip != null) {
            if (id != 0) {
                c.apicBase &= ~(1L << 8);   // only vCPU 0 is the bootstrap processor
            }
            lapic = chip.attach(c, runner::wake);
            c.ops = new PlatformOps(chip, lapic, ops);
        } else {
            lapic = null;
        }
    }

    Runner runner() {
        return runner;
    }

    /** Page-table walks made so far (statistics, for tests of the TLB's shortcuts; vCPU thread or stopped). */
    long pageWalks() {
        return c.mmu.walker.walks;
    }

    /** Guest instructions retired so far (for benchmarks). */
    public long instructionsRetired() {
        return c.instret;
    }

    void requestWriteFlush() {
        writeFlush = true;
        runner.wake();
    }

    void requestInvalidate(long page, int off, int n) {
        invalidations.add(new long[] {page, off, n});
        runner.wake();
    }

    private void crossRequests() {
        if (writeFlush) {
            writeFlush = false;
            c.mmu.flushWrites();
        }
        long[] p;
        while ((p = invalidations.poll()) != null) {
            runner.cache.write(p[0], (int) p[1], (int) p[2]);
        }
    }

    @Override
    public int id() {
        return c.id;
    }

    @Override
    public void bindToCurrentThread() {
        runner.thread = Thread.currentThread();
    }

    @Override
    public VcpuExit run() {
        if (pendingException != null) {
            PendingEvents.ExceptionEvent e = pendingException;
            pendingException = null;
            GuestFault f = c.fault(e.vector(), e.errorCode());
            f.hasError = e.hasErrorCode();
            f.address = e.hasPayload() && e.vector() == Vec.PF ? e.payload() : c.cr2;
            Interrupts.exception(c, f);
        }
        c.exitDetail = "";
        KvmClock clock = c.msrs.kvmClock;
        if (clock.stale()) {
            // a restore, a new TSC rate or a set clock: the guest's structure before its first instruction
            clock.publish(c.tsc.read());
        }
        return runner.run();
    }

    @Override
    public String exitDetail() {
        return c.exitDetail;
    }

    @Override
    public void kick() {
        runner.kick();
    }

    @Override
    public void completePendingIo() {
        // I/O completes inside the instruction: nothing is ever pending between two run() calls.
    }

    @Override
    public void setCpuid(List<CpuidEntry> entries) {
        c.cpuid.set(entries);
        CpuidEntry sizes = c.cpuid.find(0x80000008, 0);
        if (sizes != null && (sizes.eax() & 0xff) >= 32 && (sizes.eax() & 0xff) <= 52) {
            c.mmu.walker.maxPhysBits = sizes.eax() & 0xff;
        }
        runner.cache.clear();
    }

    @Override
    public void setMsrs(List<Msr> msrs) {
        for (Msr m : msrs) {
            try {
                c.msrs.write(c, m.index(), m.value());
            } catch (GuestFault f) {
                throw new HypervisorException("the software CPU refuses MSR 0x" + Integer.toHexString(m.index())
                        + " = 0x" + Long.toHexString(m.value()) + " (a guest's WRMSR of it would fault)");
            }
        }
    }

    @Override
    public int tscKhz() {
        return (int) c.tsc.khz();
    }

    @Override
    public void setTscKhz(int khz) {
        if (khz <= 0) {
            throw new HypervisorException("TSC frequency " + khz + " kHz is not positive; give a rate in kHz");
        }
        long tsc = c.tsc.read();
        c.tsc.setKhz(khz);
        c.msrs.kvmClock.rateChanged(tsc, khz);
    }

    /** The guest's kvmclock now (ns); owner thread, vCPU stopped. */
    long kvmClockNanos() {
        return c.msrs.kvmClock.nanos(c.tsc.read());
    }

    /** The VM was paused: the guest's kvmclock says so before the vCPU next runs (vCPU stopped). */
    void guestPaused() {
        c.msrs.kvmClock.guestPaused();
    }

    /** Sets the guest's kvmclock to {@code nanos} now; its structure is rewritten before the vCPU next runs. */
    void setKvmClockNanos(long nanos) {
        c.msrs.kvmClock.set(c.tsc.read(), nanos);
    }

    @Override
    public Registers registers() {
        return StateIo.registers(c);
    }

    @Override
    public void setRegisters(Registers registers) {
        StateIo.setRegisters(c, registers);
        dropCode();
    }

    @Override
    public SystemRegisters systemRegisters() {
        return StateIo.system(c);
    }

    @Override
    public void setSystemRegisters(SystemRegisters registers) {
        StateIo.setSystem(c, registers);
        syncApic(registers.cr8());
        dropCode();
    }

    /** The local APIC follows a new IA32_APIC_BASE and CR8 (= TPR[7:4]), as KVM_SET_SREGS does. */
    private void syncApic(long cr8) {
        if (lapic != null) {
            lapic.syncBase(c.apicBase);
            lapic.writeCr8(cr8 & 0xf);
        }
    }

    private void dropCode() {
        runner.cache.clear();
        c.mmu.flushAll();
        c.shutdown = false;
    }

    @Override
    public CpuState saveState() {
        CpuState s = StateIo.save(c, FpuImage.toXsave(c.fpu, fpuCarried));
        if (lapic != null && lapic.nmiPendingNow()) {
            PendingEvents e = s.events();
            s = new CpuState(s.registers(), s.system(), s.fpu(), s.xcr0(), s.msrs(),
                    new PendingEvents(e.exception(), e.injectedInterrupt(), e.injectedSoft(), e.pendingInterrupt(),
                            true, e.nmiInjected(), e.nmiMasked(), e.stiShadow(), e.movSsShadow()),
                    s.activity(), s.debug());
        }
        return s;
    }

    @Override
    public void restoreState(CpuState s) {
        try {
            StateIo.setRegisters(c, s.registers());
            StateIo.setSystem(c, s.system());
            StateIo.setMsrs(c, s.msrs());
            StateIo.setDebug(c, s.debug());
            if ((s.xcr0() & ~FpuImage.XCR0_SUPPORTED) != 0 || (s.xcr0() & 1) == 0) {
                throw new IllegalArgumentException(String.format("XCR0 0x%x enables XSAVE state the software CPU "
                        + "does not implement (it has x87 and SSE, 0x3); move guests with a CPU model without avx",
                        s.xcr0()));
            }
            FpuImage.fromXsave(c.fpu, s.fpu());
        } catch (IllegalArgumentException e) {
            throw new HypervisorException("cannot restore the vCPU state: " + e.getMessage(), e);
        }
        fpuCarried = s.fpu();
        c.xcr0 = s.xcr0();
        PendingEvents ev = s.events();
        c.pendingIrq = ev.pendingInterrupt() >= 0 ? ev.pendingInterrupt()
                : ev.injectedInterrupt() >= 0 && !ev.injectedSoft() ? ev.injectedInterrupt() : -1;
        c.shadow = ev.stiShadow() ? 1 : 0;
        c.movSsShadow = ev.movSsShadow();
        pendingException = ev.exception() != null && ev.exception().injected() ? ev.exception() : null;
        c.halted = s.activity() == ActivityState.HALTED;
        c.waitSipi = s.activity() == ActivityState.WAIT_FOR_SIPI;
        c.nmiMasked = ev.nmiMasked();
        restoreApic(s, ev);
        dropCode();
        c.shutdown = s.activity() == ActivityState.SHUTDOWN;
    }

    /** The local APIC's part of a restored vCPU state: APIC base, TPR, TSC deadline (after the TSC), NMI. */
    private void restoreApic(CpuState s, PendingEvents ev) {
        Long deadline = c.msrs.carried.remove(Msr.IA32_TSC_DEADLINE);
        if (lapic == null) {
            if (deadline != null) {
                c.msrs.carried.put(Msr.IA32_TSC_DEADLINE, deadline);
            }
            return;
        }
        syncApic(s.system().cr8());
        lapic.restoreDeadline(deadline == null ? 0 : deadline);
        if (ev.nmiPending() || ev.nmiInjected()) {
            lapic.raiseNmi();
        }
    }

    /** Yes: the state is plain Java objects, and the local APIC locks its own. */
    @Override
    public boolean stateCallsFromAnyThread() {
        return true;
    }

    @Override
    public LapicState saveLapic() {
        if (lapic == null) {
            return HvVcpu.super.saveLapic();
        }
        return lapic.save();
    }

    @Override
    public void restoreLapic(LapicState state) {
        if (lapic == null) {
            HvVcpu.super.restoreLapic(state);
            return;
        }
        lapic.restore(state);
    }

    @Override
    public boolean injectInterrupt(int vector) {
        if (vector < 32 || vector > 255) {
            throw new HypervisorException("interrupt vector " + vector + " is not 32-255");
        }
        return runner.inject(vector);
    }

    @Override
    public void close() {
        vm.removed(this);
        if (lapic != null) {
            chip.detach(lapic);
        }
    }
}
