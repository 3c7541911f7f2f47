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
    private static final int MASKED = 1 << 16;
    static final int LVT_TIMER = 0x32;
    static final int LVT_LINT0 = 0x35;
    static final int LVT_LINT1 = 0x36;
    static final int LVT_ERROR = 0x37;
    /** Writable bits of the LVT entries 0x32-0x37 (timer, thermal, perf, LINT0, LINT1, error). */
    private static final int[] LVT_BITS = {0x000700ff, 0x000107ff, 0x000107ff, 0x0001a7ff, 0x0001a7ff, 0x000100ff};
    private static final long APIC_BASE_EN = 1L << 11;
    private static final long APIC_BASE_EXTD = 1L << 10;
    private static final long APIC_BASE_BSP = 1L << 8;

    private final SoftIrqChip chip;
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
    private int esrPending;
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
        this.timer = new LapicTimer(chip.timers, () -> local(LVT_TIMER));
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

    private int apr() {
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
    private void error(int bits) {
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
    private void eoi() {
        int v = highest(0x10);
        if (v < 0) {
            return;
        }
        setBit(0x10, v, false);
        if (bit(0x18, v)) {
            chip.eoi(v);
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
        switch (index) {
            case 0x02: return x2apic() ? apicId : apicId << 24;
            case 0x03: return VERSION;
            case 0x09: return apr();
            case 0x0a: return ppr();
            case 0x0b: case 0x0c: return 0;
            case 0x0d: return x2apic() ? x2apicLdr() : regs[0x0d];
            case 0x39: return timer.current(chip.timers.now());
            case 0x38: return timer.initial;
            case 0x3e: return timer.divide;
            default:
                if (index == 0x08 || (index >= 0x0e && index <= 0x28) || index == 0x30 || index == 0x31
                        || (index >= 0x32 && index <= 0x37)) {
                    return regs[index];
                }
                return 0;
        }
    }

    int x2apicLdr() {
        return (apicId >>> 4) << 16 | 1 << (apicId & 0xf);
    }

    /** A guest write of the register at {@code index} (lock held); false for a register that cannot be written. */
    boolean write(int index, int v) {
        long now = chip.timers.now();
        switch (index) {
            case 0x02 -> apicId = x2apic() ? apicId : v >>> 24;
            case 0x08 -> regs[0x08] = v & 0xff;
            case 0x0b -> eoi();
            case 0x0d -> regs[0x0d] = v & 0xff000000;
            case 0x0e -> regs[0x0e] = v | 0x0fffffff;
            case 0x0f -> writeSvr(v);
            case 0x28 -> {
                regs[0x28] = esrPending;
                esrPending = 0;
            }
            case 0x30 -> {
                regs[0x30] = v & ~(1 << 12);
                sendIpi(v, x2apic() ? regs[0x31] : regs[0x31] >>> 24);
            }
            case 0x31 -> regs[0x31] = x2apic() ? v : v & 0xff000000;
            case 0x38 -> timer.writeInitial(v, now);
            case 0x3e -> timer.writeDivide(v, now);
            default -> {
                if (index >= 0x32 && index <= 0x37) {
                    writeLvt(index, v, now);
                } else {
                    return false;
                }
            }
        }
        update();
        return true;
    }

    private void writeSvr(int v) {
        regs[0x0f] = v & 0x3ff;
        if (!swEnabled()) {
            // Software disable masks every LVT entry (SDM 10.4.7.2).
            for (int i = 0x32; i <= 0x37; i++) {
                regs[i] |= MASKED;
            }
        }
    }

    private void writeLvt(int index, int v, long now) {
        int keep = index == LVT_LINT0 || index == LVT_LINT1 ? regs[index] & (1 << 14) : 0;
        int value = v & LVT_BITS[index - 0x32] | keep;
        if (!swEnabled()) {
            value |= MASKED;
        }
        regs[index] = value;
        if (index == LVT_TIMER) {
            int mode = (value >> 17) & 3;
            timer.setMode(mode == 3 ? LapicTimer.ONE_SHOT : mode, now);
        }
    }

    /** The ICR was written: send the IPI (fixed, lowest priority or NMI; others are dropped). */
    private void sendIpi(int low, int dest) {
        int mode = (low >> 8) & 7;
        int vector = low & 0xff;
        if ((mode == 0 || mode == 1) && vector < 16) {
            error(ESR_SEND_ILLEGAL);
            return;
        }
        chip.ipi(this, (low >> 18) & 3, (low & 0x800) != 0, dest, mode, vector);
    }

    // ---- TSC deadline -------------------------------------------------------------------------------------------

    /** Re-arms the TSC-deadline timer from the vCPU's TSC (vCPU thread, or the vCPU stopped; lock held). */
    private void armDeadline() {
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
            if (index == 0x6e0) {
                return timer.mode == LapicTimer.TSC_DEADLINE ? timer.tscDeadline : 0;
            }
            int r = index & 0xff;
            if (!x2apic() || !X2apicMsrs.readable(r)) {
                throw c.fault(Vec.GP, 0);
            }
            if (r == 0x30) {
                return (long) regs[0x31] << 32 | (regs[0x30] & 0xffffffffL);
            }
            return read(r) & 0xffffffffL;
        }
    }

    @Override
    public void writeMsr(Cpu c, int index, long value) {
        synchronized (lock) {
            if (index == 0x6e0) {
                long until = value == 0 ? 0 : cpu.tsc.nanosUntil(value);
                timer.writeDeadline(value, until, chip.timers.now());
                return;
            }
            int r = index & 0xff;
            if (!x2apic() || !X2apicMsrs.writable(r, value)) {
                throw c.fault(Vec.GP, 0);
            }
            if (r == 0x30) {
                regs[0x31] = (int) (value >>> 32);
                write(0x30, (int) value);
            } else if (r == 0x3f) {
                accept((int) value & 0xff, false);
            } else {
                write(r, (int) value);
            }
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
            byte[] page = new byte[LapicState.SIZE];
            for (int i = 0; i < 64; i++) {
                int v = i == 0x02 ? apicId << 24 : read(i);
                for (int k = 0; k < 4; k++) {
                    page[i * 16 + k] = (byte) (v >>> (8 * k));
                }
            }
            return new LapicState(page);
        }
    }

    /**
     * Restores the register page; derived registers (version, APR, PPR) are recomputed and the timer counts on from
     * the saved current count.
     */
    public void restore(LapicState s) {
        synchronized (lock) {
            java.util.Arrays.fill(regs, 0);
            apicId = s.register(LapicState.ID) >>> 24;
            for (int i = 0x08; i <= 0x37; i++) {
                regs[i] = s.register(i * 16);
            }
            regs[0x0e] |= 0x0fffffff;
            regs[0x09] = 0;
            regs[0x0a] = 0;
            regs[0x0b] = 0;
            regs[0x0c] = 0;
            esrPending = 0;
            extIntRequest = false;
            int mode = (regs[LVT_TIMER] >> 17) & 3;
            timer.restore(s.register(LapicState.TIMER_INITIAL), s.register(LapicState.TIMER_DIVIDE),
                    mode == 3 ? LapicTimer.ONE_SHOT : mode, s.register(LapicState.TIMER_CURRENT), chip.timers.now());
            armDeadline();
            update();
        }
    }
}
