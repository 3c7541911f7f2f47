package org.jkvm.softcpu.platform;

import org.jkvm.hypervisor.pc.IoapicState;

/**
 * The I/O APIC (Intel 82093AA data sheet): 24 pins, IOREGSEL at offset 0x00 and IOWIN at 0x10 of its MMIO page,
 * registers 0x00 (ID, bits 24-27), 0x01 (version 0x11, 23 as the highest redirection entry), 0x02 (arbitration
 * ID) and 0x10-0x3f (the redirection table, two 32-bit halves per pin). Edge pins deliver on a rising edge; level
 * pins deliver while asserted and remote IRR is clear, set remote IRR, and deliver again after the local APIC's EOI
 * of their vector if still asserted, or when unmasked while asserted. An edge that arrives while its pin is masked
 * is lost, as on the chip. Polarity is stored, not applied: {@code setIrq}'s level is the logical assertion. The
 * saved IRR is KVM's: level pins asserted, edge pins asserted and not yet delivered.
 *
 * <p>Version 0x11 has no EOI register, so local APICs always broadcast EOIs. Not thread-safe: the
 * {@link SoftIrqChip} lock guards every call.
 */
final class IoApic {
    static final int PINS = IoapicState.PINS;
    static final long BASE = 0xfec00000L;
    static final int VERSION = 0x11 | (PINS - 1) << 16;
    private static final long REMOTE_IRR = 1L << 14;
    private static final long DELIVERY_STATUS = 1L << 12;
    private static final long LEVEL = 1L << 15;
    private static final long MASKED = 1L << 16;
    /** Bits the guest can write: all but delivery status and remote IRR (and the reserved 17-55). */
    private static final long WRITABLE = 0xff000000_0001afffL;

    /** Where an entry's interrupt goes: the chip routes it to local APICs. */
    interface Sink {
        /**
         * Delivers {@code entry}'s interrupt (vector, delivery mode, destination mode and destination as the
         * redirection entry has them); returns whether a local APIC took it.
         */
        boolean deliver(long entry);
    }

    private final Sink sink;
    int id;
    int ioregsel;
    /** The input lines' levels. */
    int lines;
    /** Edge pins delivered since their line rose (a line held high is one edge). */
    private int edgeDelivered;
    final long[] redirection = new long[PINS];

    IoApic(Sink sink) {
        this.sink = sink;
        java.util.Arrays.fill(redirection, MASKED);
    }

    /** Drives pin {@code pin} to {@code level}. */
    void setIrq(int pin, boolean level) {
        int m = 1 << pin;
        if (!level) {
            lines &= ~m;
            return;
        }
        int old = lines;
        lines |= m;
        if ((redirection[pin] & LEVEL) == 0) {
            edgeDelivered &= ~m;
            if ((old & m) != 0) {
                return;   // no rising edge
            }
        }
        service(pin);
    }

    /** Whether pin {@code pin} is masked. */
    boolean masked(int pin) {
        return (redirection[pin] & MASKED) != 0;
    }

    /** The vector of pin {@code pin}'s redirection entry. */
    int vector(int pin) {
        return (int) redirection[pin] & 0xff;
    }

    /** Delivers pin {@code pin} if its line is up, it is unmasked and (level) not awaiting an EOI. */
    private void service(int pin) {
        long e = redirection[pin];
        int m = 1 << pin;
        if ((lines & m) == 0 || (e & MASKED) != 0) {
            return;
        }
        boolean level = (e & LEVEL) != 0;
        if (level && (e & REMOTE_IRR) != 0) {
            return;
        }
        boolean taken = sink.deliver(e);
        if (level) {
            if (taken) {
                redirection[pin] = e | REMOTE_IRR;
            }
        } else {
            edgeDelivered |= m;
        }
    }

    /**
     * A local APIC's EOI of {@code vector} for a level-triggered interrupt: remote IRR clears on every pin with that
     * vector, and a pin still asserted delivers again.
     */
    void eoi(int vector) {
        for (int pin = 0; pin < PINS; pin++) {
            long e = redirection[pin];
            if ((e & 0xff) == vector && (e & REMOTE_IRR) != 0) {
                redirection[pin] = e & ~REMOTE_IRR;
                service(pin);
            }
        }
    }

    /** A 32-bit (or narrower) MMIO read at {@code offset} in the I/O APIC's page. */
    int read(int offset) {
        if (offset == 0x00) {
            return ioregsel;
        }
        if (offset != 0x10) {
            return 0;
        }
        int reg = ioregsel;
        if (reg == 0x00) {
            return (id & 0xf) << 24;
        }
        if (reg == 0x01) {
            return VERSION;
        }
        if (reg == 0x02) {
            return (id & 0xf) << 24;
        }
        if (reg >= 0x10 && reg < 0x10 + 2 * PINS) {
            long e = redirection[(reg - 0x10) >> 1];
            return (int) ((reg & 1) == 0 ? e : e >>> 32);
        }
        return 0;
    }

    /** A 32-bit MMIO write at {@code offset}. */
    void write(int offset, int value) {
        if (offset == 0x00) {
            ioregsel = value & 0xff;
            return;
        }
        if (offset != 0x10) {
            return;
        }
        int reg = ioregsel;
        if (reg == 0x00) {
            id = (value >>> 24) & 0xf;
        } else if (reg >= 0x10 && reg < 0x10 + 2 * PINS) {
            int pin = (reg - 0x10) >> 1;
            long e = redirection[pin];
            long v = (reg & 1) == 0 ? (e & ~0xffffffffL) | (value & 0xffffffffL)
                    : (e & 0xffffffffL) | ((long) value << 32);
            long ro = REMOTE_IRR | DELIVERY_STATUS;
            e = (e & ro) | (v & WRITABLE);
            if ((e & LEVEL) == 0) {
                // Remote IRR is defined for level-triggered pins only.
                e &= ~REMOTE_IRR;
            }
            redirection[pin] = e;
            if ((e & LEVEL) != 0) {
                // A level pin asserted while masked delivers when unmasked; a masked edge was lost.
                service(pin);
            }
        }
    }

    IoapicState save() {
        return new IoapicState(id, ioregsel, lines & ~edgeDelivered, redirection);
    }

    void restore(IoapicState s) {
        id = s.id() & 0xf;
        ioregsel = s.ioregsel() & 0xff;
        lines = s.irr() & ((1 << PINS) - 1);
        edgeDelivered = 0;
        long[] r = s.redirection();
        System.arraycopy(r, 0, redirection, 0, PINS);
        // A pin asserted and not delivered at the save is delivered now (as KVM re-injects its IOAPIC's IRR on a
        // restore): left pending, its line would stay high, so the device's next assertion would be no edge and
        // the pin would be lost for good (a PIT waiting for the acknowledgement of that tick, a UART whose line
        // never falls). The local APICs are restored before the I/O APIC (section order lapic, pic, ioapic).
        for (int pin = 0; pin < PINS; pin++) {
            if ((lines & (1 << pin)) != 0) {
                service(pin);
            }
        }
    }
}
