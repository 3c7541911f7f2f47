package org.jkvm.engine.platform;

import org.jkvm.devices.IrqLine;
import org.jkvm.hypervisor.HvIrqChip;
import org.jkvm.hypervisor.HypervisorException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The devices' interrupt lines, wired to GSIs of the backend's {@link HvIrqChip} (or to nothing on a machine
 * without one). Each line passes a level to the chip only when it changes: an ISA IRQ is edge-triggered, and KVM's
 * I/O APIC delivers an edge pin again for every raise, so a device that drives its line high twice would interrupt
 * twice.
 *
 * <p>While a migration's state is restored the lines are {@link #quiet() quiet}: devices set their lines to the
 * restored levels, which the restored interrupt controllers already hold (the PIC's last levels, the I/O APIC's
 * pending pins), so passing them on would deliver again what the source had delivered.
 *
 * <p>Thread-safe: each line synchronises on itself (a device drives its line under its own lock).
 */
public final class IrqLines {
    private static final Logger LOG = LoggerFactory.getLogger(IrqLines.class);

    private final HvIrqChip chip;
    private volatile boolean quiet;
    private volatile boolean failureLogged;

    /** @param chip the interrupt controllers, or null when the machine has none */
    public IrqLines(HvIrqChip chip) {
        this.chip = chip;
    }

    /** The line of GSI {@code gsi} (0-23); {@link IrqLine#NONE} without interrupt controllers. */
    public IrqLine line(int gsi) {
        if (gsi < 0 || gsi > 23) {
            throw new IllegalArgumentException("GSI " + gsi + " is not 0-23");
        }
        return chip == null ? IrqLine.NONE : new Line(gsi);
    }

    /**
     * Lines record levels without passing them on until the returned handle is closed (around a state restore).
     */
    public AutoCloseable quiet() {
        quiet = true;
        return () -> quiet = false;
    }

    private final class Line implements IrqLine {
        private final int gsi;
        private boolean level;

        Line(int gsi) {
            this.gsi = gsi;
        }

        @Override
        public void raise() {
            set(true);
        }

        @Override
        public void lower() {
            set(false);
        }

        @Override
        public synchronized void set(boolean value) {
            if (value == level) {
                return;
            }
            level = value;
            if (quiet) {
                return;
            }
            try {
                chip.setIrq(gsi, value);
            } catch (HypervisorException e) {
                // A device must never fail the vCPU over its interrupt; the guest then misses it.
                if (!failureLogged) {
                    failureLogged = true;
                    LOG.warn("{}; the interrupt is lost (later failures are not logged)", e.getMessage());
                }
            }
        }
    }
}
