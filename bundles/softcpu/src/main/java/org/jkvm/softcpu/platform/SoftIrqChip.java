package org.jkvm.softcpu.platform;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import org.jkvm.hypervisor.GuestClock;
import org.jkvm.hypervisor.HvIrqChip;
import org.jkvm.hypervisor.HypervisorException;
import org.jkvm.hypervisor.pc.IoapicState;
import org.jkvm.hypervisor.pc.PicState;
import org.jkvm.hypervisor.pc.PitState;
import org.jkvm.softcpu.cpu.Cpu;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The software CPU's PC platform: the 8259A pair ({@link PicPair}), the I/O APIC ({@link IoApic}), the 8254
 * ({@link Pit8254}) and one local APIC per vCPU ({@link Lapic}), with a PC's wiring: GSI 0-15 are ISA IRQs on the PIC
 * and on the I/O APIC pin of the same number, except IRQ 0 (the PIT), which is pin 2, and GSI 2, which reaches no
 * pin (QEMU's routing); GSI 16-23 are I/O APIC pins only; the PIC's INTR goes to every local APIC's LINT0.
 *
 * <p>Thread-safety: one lock ({@link #lock}) guards every model; devices call {@link #setIrq} from any thread, the
 * vCPUs reach their APIC and the ports from theirs, the timers fire on the {@link Timers} thread. No model calls
 * out of the platform with the lock held except to wake a vCPU (non-blocking).
 */
public final class SoftIrqChip implements HvIrqChip, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SoftIrqChip.class);

    final Object lock = new Object();
    final Timers timers;
    final PicPair pics = new PicPair();
    final IoApic ioapic = new IoApic(this::deliverFromIoapic);
    final Pit8254 pit;
    private final List<Lapic> lapics = new ArrayList<>();
    private boolean lastIntr;
    private boolean warnedIpi;

    /**
     * A platform on the VM's guest time, its timers on a daemon thread named after {@code name} that stands still
     * while {@code clock} is paused.
     */
    public SoftIrqChip(GuestClock clock, String name) {
        this(clock::nanos, clock::paused, true, name);
        clock.onResume(timers::wake);
    }

    /** A platform on {@code clock} (nanoseconds); {@code threaded} false leaves firing timers to the caller. */
    SoftIrqChip(LongSupplier clock, boolean threaded, String name) {
        this(clock, () -> false, threaded, name);
    }

    private SoftIrqChip(LongSupplier clock, BooleanSupplier paused, boolean threaded, String name) {
        this.timers = new Timers(lock, clock, paused, threaded, "softcpu-timers-" + name);
        this.pit = new Pit8254(timers, () -> {
            setIrqLocked(0, true);
            setIrqLocked(0, false);
        }, () -> (pics.master.imr & 1) != 0 && ioapic.masked(2));
    }

    /**
     * The local APIC of vCPU {@code cpu} (its id is the APIC id); {@code wake} makes the vCPU look at its interrupts
     * (any thread, non-blocking).
     */
    public Lapic attach(Cpu cpu, Runnable wake) {
        synchronized (lock) {
            Lapic l = new Lapic(this, cpu, wake);
            lapics.add(l);
            cpu.intc = l;
            return l;
        }
    }

    /** The vCPU of {@code l} is gone. */
    public void detach(Lapic l) {
        synchronized (lock) {
            lapics.remove(l);
            timers.remove(l.timer);
        }
    }

    // ---- lines --------------------------------------------------------------------------------------------------

    @Override
    public void setIrq(int gsi, boolean level) {
        if (gsi < 0 || gsi >= IoapicState.PINS) {
            throw new HypervisorException("GSI " + gsi + " does not exist; a PC has GSI 0-" + (IoapicState.PINS - 1));
        }
        synchronized (lock) {
            setIrqLocked(gsi, level);
        }
    }

    private void setIrqLocked(int gsi, boolean level) {
        if (gsi < 16) {
            pics.setIrq(gsi, level);
            picChanged();
        }
        if (gsi == 0) {
            ioapic.setIrq(2, level);
        } else if (gsi != 2) {
            ioapic.setIrq(gsi, level);
        }
    }

    /** The PIC's INTR may have changed: the local APICs follow (lock held). */
    private void picChanged() {
        boolean intr = pics.intr();
        boolean rose = intr && !lastIntr;
        lastIntr = intr;
        for (Lapic l : lapics) {
            if (rose) {
                l.picIntrRose();
            }
            l.update();
        }
    }

    boolean picIntr() {
        return pics.intr();
    }

    /** The INTA cycle on the PIC (lock held). */
    int picAcknowledge() {
        boolean irq0 = pics.master.pendingIrq() == 0;
        int v = pics.acknowledge();
        picChanged();
        if (irq0) {
            pit.ack();
        }
        return v;
    }

    /** A local APIC's EOI of a level-triggered vector (lock held). */
    void eoi(int vector) {
        ioapic.eoi(vector);
    }

    /** A local APIC's EOI of an edge-triggered vector: the PIT's tick on pin 2 is acknowledged (lock held). */
    void edgeEoi(int vector) {
        if (!ioapic.masked(2) && ioapic.vector(2) == vector) {
            pit.ack();
        }
    }

    @Override
    public void signalMsi(long address, int data) {
        if ((address & 0xfff00000L) != 0xfee00000L) {
            LOG.debug("MSI to 0x{} outside the APIC window dropped", Long.toHexString(address));
            return;
        }
        int dest = (int) (address >>> 12) & 0xff;
        boolean logical = (address & 4) != 0;
        synchronized (lock) {
            deliver(logical, dest, (data >> 8) & 7, data & 0xff, (data & 0x8000) != 0, true);
        }
    }

    // ---- routing (lock held) ------------------------------------------------------------------------------------

    private boolean deliverFromIoapic(long entry) {
        int dest = (int) (entry >>> 56);
        boolean logical = (entry & 0x800) != 0;
        return deliver(logical, dest, (int) (entry >> 8) & 7, (int) entry & 0xff, (entry & 0x8000) != 0, true);
    }

    /**
     * Sends an interrupt message to the local APICs {@code dest} selects; returns whether one took it. An 8-bit
     * destination ({@code shortDest}: I/O APIC, MSI) of 0xff is a broadcast also to x2APIC-mode APICs.
     */
    private boolean deliver(boolean logical, int dest, int mode, int vector, boolean level, boolean shortDest) {
        if (mode == 1) {
            Lapic best = null;
            for (Lapic l : lapics) {
                if (matches(l, logical, dest, shortDest) && l.swEnabled() && (best == null || l.ppr() < best.ppr())) {
                    best = l;
                }
            }
            return best != null && best.accept(vector, level);
        }
        boolean taken = false;
        for (Lapic l : lapics) {
            if (matches(l, logical, dest, shortDest)) {
                taken |= deliverTo(l, mode, vector, level);
            }
        }
        return taken;
    }

    private boolean deliverTo(Lapic l, int mode, int vector, boolean level) {
        switch (mode) {
            case 0, 1:
                return l.accept(vector, level);
            case 4:
                l.nmi();
                return true;
            case 7:
                l.extInt();
                return true;
            default:
                if (!warnedIpi) {
                    warnedIpi = true;
                    LOG.info("software CPU: interrupt delivery mode {} (SMI/INIT/SIPI) is not modelled; dropped",
                            mode);
                }
                return false;
        }
    }

    private static boolean matches(Lapic l, boolean logical, int dest, boolean shortDest) {
        if (!l.hwEnabled()) {
            return false;
        }
        if (l.x2apic()) {
            if (dest == -1 || (shortDest && dest == 0xff)) {
                return true;
            }
            if (!logical) {
                return l.apicId == dest;
            }
            int ldr = l.x2apicLdr();
            return (dest >>> 16) == (ldr >>> 16) && (dest & ldr & 0xffff) != 0;
        }
        int d = dest & 0xff;
        if (d == 0xff) {
            return true;
        }
        if (!logical) {
            return (l.apicId & 0xff) == d;
        }
        int ldr = l.regs[0x0d] >>> 24;
        if ((l.regs[0x0e] >>> 28) == 0xf) {
            return (ldr & d) != 0;
        }
        return (d >>> 4) == (ldr >>> 4) && (d & ldr & 0xf) != 0;
    }

    /** An IPI from {@code from}'s ICR: shorthand 0 = the destination field, 1 = self, 2 = all, 3 = all but self. */
    void ipi(Lapic from, int shorthand, boolean logical, int dest, int mode, int vector) {
        switch (shorthand) {
            case 1 -> deliverTo(from, mode, vector, false);
            case 2, 3 -> {
                for (Lapic l : lapics) {
                    if (shorthand == 2 || l != from) {
                        deliverTo(l, mode, vector, false);
                    }
                }
            }
            default -> deliver(logical, dest, mode, vector, false, false);
        }
    }

    // ---- ports and MMIO (the vCPUs' PlatformOps) ------------------------------------------------------------------

    /** IN of one byte from a platform port. */
    int pioRead(int port) {
        synchronized (lock) {
            if (PicPair.claims(port)) {
                int v = pics.read(port);
                picChanged();
                return v;
            }
            return pit.read(port);
        }
    }

    /** OUT of one byte to a platform port. */
    void pioWrite(int port, int v) {
        synchronized (lock) {
            if (PicPair.claims(port)) {
                pics.write(port, v);
                picChanged();
            } else {
                pit.write(port, v);
            }
        }
    }

    int ioapicRead(int offset) {
        synchronized (lock) {
            return ioapic.read(offset);
        }
    }

    void ioapicWrite(int offset, int v) {
        synchronized (lock) {
            ioapic.write(offset, v);
        }
    }

    // ---- state --------------------------------------------------------------------------------------------------

    @Override
    public PicState savePic() {
        synchronized (lock) {
            return pics.save();
        }
    }

    @Override
    public void restorePic(PicState state) {
        synchronized (lock) {
            pics.restore(state);
            lastIntr = false;
            picChanged();
        }
    }

    @Override
    public IoapicState saveIoapic() {
        synchronized (lock) {
            return ioapic.save();
        }
    }

    @Override
    public void restoreIoapic(IoapicState state) {
        synchronized (lock) {
            ioapic.restore(state);
        }
    }

    @Override
    public PitState savePit() {
        synchronized (lock) {
            return pit.save();
        }
    }

    @Override
    public void restorePit(PitState state) {
        synchronized (lock) {
            pit.restore(state);
        }
    }

    /**
     * Guest time has just been paused: fires every timer due by the paused instant that the timer thread has not
     * fired yet (it may run late on a loaded host, and it fires nothing while paused), so the state saved in the
     * pause holds every tick and expiry up to that instant. Any thread.
     */
    public void firePausedInstant() {
        runTimers();
    }

    /** Fires the timers that are due (tests on an injected clock; the timer thread does this otherwise). */
    void runTimers() {
        synchronized (lock) {
            timers.runDue();
        }
    }

    /** Stops the timer thread. */
    @Override
    public void close() {
        timers.close();
    }
}
