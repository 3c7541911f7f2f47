package org.jkvm.softcpu.platform;

import org.jkvm.hypervisor.pc.LapicState;
import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.InterruptController;
import org.jkvm.softcpu.cpu.Vec;

/**
 * One vCPU's local APIC (Intel SDM vol. 3, chapter 10): xAPIC registers at the page IA32_APIC_BASE points to,
 * x2APIC MSRs 0x800-0x8ff when IA32_APIC_BASE.EXTD is set, ID, version (0x14 with six LVT entries, as KVM's),
 * TPR/PPR/APR, EOI with the I/O APIC's remote IRR for level-triggered vectors, SVR, ISR/TMR/IRR, ESR, the LVT
 * (timer, thermal, performance counters, LINT0, LINT1, error), ICR (fixed, lowest-priority and NMI IPIs; INIT and
 * SIPI are not modelled) and the timer ({@link LapicTimer}). The PIC's INTR reaches it on LINT0: as ExtINT (the
 * reset value of the BSP's LVT LINT0, as KVM sets it, so a kernel that never touched the APIC still gets PIC
 * interrupts), or directly while the APIC is globally disabled.
 *
 * <p>Thread-safety: the register file is guarded by the {@link SoftIrqChip} lock; this class takes it at every entry
 * point. {@link #pending()} is a volatile hint for the vCPU's run loop, recomputed under the lock after every change
 * ({@link #update()}), which also wakes the vCPU when something became deliverable.
 */
public final class Lapic implements InterruptController {
    /** Version 0x14, max LVT entry 5 (six entries), no directed EOI: KVM's with its in-kernel I/O APIC. */
    static final int VERSION = 0x00050014;
    static final int ESR_SEND_ILLEGAL = 0x20;
    static final int ESR_RECEIVE_ILLEGAL = 0x40;
    static final int ESR_ILLEGAL_REGISTER = 0x80;
    static final int MASKED = 1 << 16;
    static final int LVT_TIMER = 0x32;
    static final int LVT_LINT0 = 0x35;
    static final int LVT_LINT1 = 0x36;
    static final int LVT_ERROR = 0x37;
    private static final long APIC_BASE_EN = 1L << 11;
    private static final long APIC_BASE_EXTD = 1L << 10;
    private static final long APIC_BASE_BSP = 1L << 8;

    final SoftIrqChip chip;
    private final Object lock;
    final Cpu cpu;
    private final Runnable wake;
    final int initialId;
    /** The register page by offset / 16; ID, version, APR, PPR and the current count are computed. */
    final int[] regs = new int[64];
    final LapicTimer timer;
    /** The APIC ID (xAPIC: bits 31-24 of the ID register; x2APIC: the whole register). */
    int apicId;
    /** IA32_APIC_BASE as the platform sees it (mirrors the vCPU's MSR). */
    volatile long base;
    int esrPending;
    boolean nmiPending;
    /** An I/O APIC pin in ExtINT mode asked for the PIC's vector. */
    private boolean extIntRequest;
    private volatile boolean hint;

    Lapic(SoftIrqChip chip, Cpu cpu, Runnable wake) {
        this.chip = chip;
        this.lock = chip.lock;
        this.cpu = cpu;
        this.wake = wake;
        this.initialId = cpu.id;
        this.timer = new LapicTimer(chip.timers, () -> local(LVT_TIMER),
                () -> (regs[LVT_TIMER] & MASKED) == 0 && hwEnabled() && swEnabled());
        this.base = cpu.apicBase;
        reset();
    }

    /** The power-up state (SDM 10.4.7.1), with LINT0 as ExtINT on the BSP. */
    void reset() {
        java.util.Arrays.fill(regs, 0);
        apicId = initialId;
        regs[0x0e] = 0xffffffff;
        regs[0x0f] = 0xff;
        for (int i = 0x32; i <= 0x37; i++) {
            regs[i] = MASKED;
        }
        if (initialId == 0) {
            regs[LVT_LINT0] = 0x700;
        }
        esrPending = 0;
        nmiPending = false;
        extIntRequest = false;
        timer.reset();
    }

    boolean x2apic() {
        return (base & (APIC_BASE_EN | APIC_BASE_EXTD)) == (APIC_BASE_EN | APIC_BASE_EXTD);
    }

    boolean hwEnabled() {
        return (base & APIC_BASE_EN) != 0;
    }

    boolean swEnabled() {
        return (regs[0x0f] & 0x100) != 0;
    }

    /** The guest-physical page of the xAPIC registers, or -1 when they are not decoded (disabled, x2APIC). */
    long mmioPage() {
        long b = base;
        return (b & (APIC_BASE_EN | APIC_BASE_EXTD)) == APIC_BASE_EN ? b & 0x000ffffffffff000L : -1;
    }

    /** The platform clock's time. */
    long now() {
        return chip.timers.now();
    }

    // ---- priorities -------------------------------------------------------------------------------------------

    /** The highest vector set in the 256-bit register at {@code first} (ISR 0x10, TMR 0x18, IRR 0x20), or -1. */
    private int highest(int first) {
        for (int w = 7; w >= 0; w--) {
            int v = regs[first + w];
            if (v != 0) {
                return w * 32 + 31 - Integer.numberOfLeadingZeros(v);
            }
        }
        return -1;
    }

    private boolean bit(int first, int vector) {
        return (regs[first + (vector >> 5)] & (1 << (vector & 31))) != 0;
    }

    private void setBit(int first, int vector, boolean on) {
        int m = 1 << (vector & 31);
        regs[first + (vector >> 5)] = on ? regs[first + (vector >> 5)] | m : regs[first + (vector >> 5)] & ~m;
    }

    int ppr() {
        int tpr = regs[0x08] & 0xff;
        int isrv = Math.max(highest(0x10), 0);
        return (tpr & 0xf0) >= (isrv & 0xf0) ? tpr : isrv & 0xf0;
    }

    int apr() {
        int tpr = regs[0x08] & 0xff;
        int isrv = Math.max(highest(0x10), 0);
        int irrv = Math.max(highest(0x20), 0);
        if ((tpr & 0xf0) >= (isrv & 0xf0) && (tpr & 0xf0) >= (irrv & 0xf0)) {
            return tpr;
        }
        return Math.max(tpr & 0xf0, Math.max(isrv & 0xf0, irrv & 0xf0));
    }

    /** The IRR vector the APIC would deliver now, or -1. */
    private int deliverable() {
        if (!hwEnabled()) {
            return -1;
        }
        int v = highest(0x20);
        return v >= 0 && (v & 0xf0) > (ppr() & 0xf0) ? v : -1;
    }

    /** Whether the PIC's INTR reaches the CPU through this APIC. */
    private boolean extIntPending() {
        if (!chip.picIntr()) {
            return false;
        }
        int lint0 = regs[LVT_LINT0];
        return !hwEnabled() || (lint0 & (MASKED | 0x700)) == 0x700 || extIntRequest;
    }

    /** Recomputes the run loop's hint (lock held) and wakes the vCPU when something can be delivered. */
    void update() {
        boolean h = nmiPending || extIntPending() || deliverable() >= 0;
        hint = h;
        if (h) {
            wake.run();
        }
    }

    // ---- interrupt sources (lock held) --------------------------------------------------------------------------

    /**
     * Accepts a fixed interrupt into the IRR (TMR = {@code level}); false when the APIC drops it (disabled, or an
     * illegal vector, which sets the receive-illegal error).
     */
    boolean accept(int vector, boolean level) {
        if (!hwEnabled()) {
            return false;
        }
        if (vector < 16) {
            error(ESR_RECEIVE_ILLEGAL);
            return false;
        }
        if (!swEnabled()) {
            return false;
        }
        setBit(0x20, vector, true);
        setBit(0x18, vector, level);
        update();
        return true;
    }

    /** An NMI (ICR, I/O APIC, LINT). */
    void nmi() {
        nmiPending = true;
        update();
    }

    /** An I/O APIC pin in ExtINT mode: the next acknowledge takes the PIC's vector. */
    void extInt() {
        extIntRequest = true;
        update();
    }

    /** An error: latched for the next ESR write, and the LVT error interrupt. */
    void error(int bits) {
        esrPending |= bits;
        int lvt = regs[LVT_ERROR];
        if ((lvt & MASKED) == 0 && (lvt & 0xff) >= 16 && swEnabled()) {
            setBit(0x20, lvt & 0xff, true);
            setBit(0x18, lvt & 0xff, false);
            update();
        }
    }

    /** A write to a register that does not exist or cannot be written (xAPIC): the ESR's illegal-register bit. */
    void illegalRegister() {
        error(ESR_ILLEGAL_REGISTER);
    }

    /** An LVT entry's source fired (the timer, or LINT0/LINT1 in fixed or NMI mode). */
    void local(int lvtIndex) {
        int lvt = regs[lvtIndex];
        if ((lvt & MASKED) != 0 || !hwEnabled()) {
            return;
        }
        int mode = (lvt >> 8) & 7;
        if (mode == 4) {
            nmi();
        } else if (mode == 0) {
            accept(lvt & 0xff, lvtIndex != LVT_TIMER && (lvt & 0x8000) != 0);
        }
    }

    /** The PIC's INTR rose: LINT0 in fixed or NMI mode takes the edge; ExtINT is a level seen by acknowledge. */
    void picIntrRose() {
        int mode = (regs[LVT_LINT0] >> 8) & 7;
        if (mode != 7) {
            local(LVT_LINT0);
        }
    }

    // ---- the run loop's side ------------------------------------------------------------------------------------

    @Override
    public boolean pending() {
        return hint;
    }

    @Override
    public boolean takeNmi() {
        synchronized (lock) {
            if (!nmiPending) {
                return false;
            }
            nmiPending = false;
            update();
            return true;
        }
    }

    @Override
    public int acknowledge() {
        synchronized (lock) {
            int v;
            if (extIntPending()) {
                extIntRequest = false;
                v = chip.picAcknowledge();
            } else {
                v = deliverable();
                if (v >= 0) {
                    setBit(0x20, v, false);
                    setBit(0x10, v, true);
                }
            }
            update();
            return v;
        }
    }

    /** EOI: the highest in-service interrupt ends; a level-triggered one tells the I/O APIC. */
    void eoi() {
        int v = highest(0x10);
        if (v < 0) {
            return;
        }
        setBit(0x10, v, false);
        if (v == (regs[LVT_TIMER] & 0xff)) {
            timer.ack();
        }
        if (bit(0x18, v)) {
            chip.eoi(v);
        } else {
            chip.edgeEoi(v);
        }
        update();
    }

    @Override
    public long readCr8() {
        synchronized (lock) {
            return (regs[0x08] >> 4) & 0xf;
        }
    }

    @Override
    public void writeCr8(long value) {
        synchronized (lock) {
            regs[0x08] = (int) (value & 0xf) << 4;
            update();
        }
    }

    // ---- registers ----------------------------------------------------------------------------------------------

    /** The 32-bit register at {@code index} (offset / 16) as the guest reads it (lock held). */
    int read(int index) {
        return LapicRegisters.read(this, index);
    }

    /** A guest write of the register at {@code index} (lock held); false for a register that cannot be written. */
    boolean write(int index, int v) {
        boolean ok = LapicRegisters.write(this, index, v);
        update();
        return ok;
    }

    int x2apicLdr() {
        return (apicId >>> 4) << 16 | 1 << (apicId & 0xf);
    }

    // ---- TSC deadline -------------------------------------------------------------------------------------------

    /** Re-arms the TSC-deadline timer from the vCPU's TSC (vCPU thread, or the vCPU stopped; lock held). */
    void armDeadline() {
        long until = timer.tscDeadline == 0 ? 0 : cpu.tsc.nanosUntil(timer.tscDeadline);
        timer.armDeadline(until, chip.timers.now());
    }

    @Override
    public void tscChanged() {
        synchronized (lock) {
            armDeadline();
        }
    }

    /** Sets IA32_TSC_DEADLINE from a restored state (whatever the timer mode) and re-arms. */
    public void restoreDeadline(long value) {
        synchronized (lock) {
            timer.tscDeadline = value;
            armDeadline();
        }
    }

    // ---- MSRs and IA32_APIC_BASE --------------------------------------------------------------------------------

    @Override
    public long readMsr(Cpu c, int index) {
        synchronized (lock) {
            return X2apicMsrs.read(this, c, index);
        }
    }

    @Override
    public void writeMsr(Cpu c, int index, long value) {
        synchronized (lock) {
            X2apicMsrs.write(this, c, index, value);
        }
    }

    @Override
    public void writeApicBase(Cpu c, long v) {
        long old = c.apicBase;
        boolean x2ok = c.cpuid.has(1, 2, 21);
        if (!X2apicMsrs.validBase(old, v, c.mmu.walker.maxPhysBits, x2ok)) {
            throw c.fault(Vec.GP, 0);
        }
        long value = (v & ~APIC_BASE_BSP) | (old & APIC_BASE_BSP);
        synchronized (lock) {
            c.apicBase = value;
            setBase(value);
        }
    }

    /** Follows IA32_APIC_BASE as the VMM set it (a restore, setSystemRegisters), without the guest's checks. */
    public void syncBase(long value) {
        synchronized (lock) {
            if (value != base) {
                setBase(value);
            }
        }
    }

    /** Whether an NMI waits to be delivered. */
    public boolean nmiPendingNow() {
        synchronized (lock) {
            return nmiPending;
        }
    }

    /** Raises an NMI (a restored state had one pending). */
    public void raiseNmi() {
        synchronized (lock) {
            nmi();
        }
    }

    /** Follows a new IA32_APIC_BASE (lock held): disabling resets the APIC, entering x2APIC fixes the ID. */
    void setBase(long value) {
        long old = base;
        base = value;
        if ((old & APIC_BASE_EN) != 0 && (value & APIC_BASE_EN) == 0) {
            reset();
        }
        if ((value & APIC_BASE_EXTD) != 0 && (old & APIC_BASE_EXTD) == 0) {
            apicId = initialId;
        }
        update();
    }

    // ---- state --------------------------------------------------------------------------------------------------

    /** The register page with the timer's current count (KVM's layout: the ID as an xAPIC ID in bits 31-24). */
    public LapicState save() {
        synchronized (lock) {
            return LapicPage.save(this);
        }
    }

    /**
     * Restores the register page; derived registers (version, APR, PPR) are recomputed and the timer counts on from
     * the saved current count.
     */
    public void restore(LapicState s) {
        synchronized (lock) {
            LapicPage.restore(this, s);
            esrPending = 0;
            extIntRequest = false;
            armDeadline();
            update();
        }
    }
}
