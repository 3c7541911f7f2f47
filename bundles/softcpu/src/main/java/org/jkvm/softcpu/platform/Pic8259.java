package org.jkvm.softcpu.platform;

import org.jkvm.hypervisor.pc.PicState;

/**
 * One Intel 8259A programmable interrupt controller: the ICW1-ICW4 initialisation sequence, OCW1 (mask), OCW2 (EOI,
 * rotation, priority), OCW3 (IRR/ISR read, poll, special mask), edge and level triggered inputs (the PC's ELCR
 * decides per input, as on a PIIX), automatic EOI with optional rotation, and spurious IRQ 7 when an interrupt went
 * away before the acknowledge (8259A data sheet). Register logic only: {@link PicPair} cascades two and owns the
 * lock; nothing here is thread-safe.
 */
final class Pic8259 {
    int irr;
    int isr;
    int imr;
    /** Input levels last seen, for edge detection. */
    int lastIrr;
    int vectorBase;
    /** Rotation: the IRQ with the highest priority. */
    int priorityAdd;
    boolean readIsr;
    boolean poll;
    boolean specialMask;
    /** 0 = operating, 1-3 = expecting ICW2-ICW4. */
    int initState;
    boolean autoEoi;
    boolean rotateOnAutoEoi;
    boolean specialFullyNested;
    boolean init4;
    boolean singleMode;
    int elcr;
    final int elcrMask;
    /** The master chip: IRQ 2 is the cascade input (special fully nested mode ignores its ISR bit). */
    private final boolean master;

    Pic8259(boolean master, int elcrMask) {
        this.master = master;
        this.elcrMask = elcrMask;
    }

    /** Drives input {@code irq} (0-7) to {@code level}: level inputs follow it, edge inputs latch a rising edge. */
    void setInput(int irq, boolean level) {
        int m = 1 << irq;
        if ((elcr & m) != 0) {
            irr = level ? irr | m : irr & ~m;
        } else if (level && (lastIrr & m) == 0) {
            irr |= m;
        }
        lastIrr = level ? lastIrr | m : lastIrr & ~m;
    }

    /** The highest-priority bit of {@code bits} in the current rotation, as an IRQ number, or 8 when none. */
    private int highest(int bits) {
        if (bits == 0) {
            return 8;
        }
        for (int p = 0; p < 8; p++) {
            int irq = (p + priorityAdd) & 7;
            if ((bits & (1 << irq)) != 0) {
                return irq;
            }
        }
        return 8;
    }

    /** Priority rank of {@code irq} (0 = highest) in the current rotation; 8 for "none". */
    private int rank(int irq) {
        return irq == 8 ? 8 : (irq - priorityAdd) & 7;
    }

    /**
     * The IRQ this chip would present on INT now, or -1: the highest unmasked request whose priority is above every
     * in-service interrupt (special mask mode: above the in-service ones that are not masked; special fully nested
     * mode on the master: the cascade input may nest on itself).
     */
    int pendingIrq() {
        int req = highest(irr & ~imr);
        if (req == 8) {
            return -1;
        }
        int inService = isr;
        if (specialMask) {
            inService &= ~imr;
        }
        if (specialFullyNested && master) {
            inService &= ~(1 << 2);
        }
        return rank(req) < rank(highest(inService)) ? req : -1;
    }

    /**
     * The interrupt acknowledge of {@code irq} (from {@link #pendingIrq()}): an edge request is consumed, the ISR bit
     * set unless in automatic EOI mode (where the priority may rotate instead).
     */
    void acknowledge(int irq) {
        int m = 1 << irq;
        if ((elcr & m) == 0) {
            irr &= ~m;
        }
        if (autoEoi) {
            if (rotateOnAutoEoi) {
                priorityAdd = (irq + 1) & 7;
            }
        } else {
            isr |= m;
        }
    }

    /** A write to the command port (A0 = 0): ICW1, OCW2 or OCW3. */
    void writeCommand(int v) {
        if ((v & 0x10) != 0) {
            // ICW1: the edge latches, the mask, rotation, special mask and read selection are reset; a level input
            // still asserted keeps its request.
            init4 = (v & 1) != 0;
            singleMode = (v & 2) != 0;
            initState = 1;
            irr &= elcr;
            lastIrr = 0;
            isr = 0;
            imr = 0;
            priorityAdd = 0;
            readIsr = false;
            poll = false;
            specialMask = false;
            autoEoi = false;
            rotateOnAutoEoi = false;
            specialFullyNested = false;
        } else if ((v & 0x08) != 0) {
            if ((v & 0x04) != 0) {
                poll = true;
            }
            if ((v & 0x02) != 0) {
                readIsr = (v & 1) != 0;
            }
            if ((v & 0x40) != 0) {
                specialMask = (v & 0x20) != 0;
            }
        } else {
            ocw2(v >>> 5, v & 7);
        }
    }

    private void ocw2(int cmd, int level) {
        switch (cmd) {
            case 0 -> rotateOnAutoEoi = false;
            case 4 -> rotateOnAutoEoi = true;
            case 1, 5 -> {
                // Non-specific EOI: the highest-priority in-service interrupt ends (and may become the lowest).
                int irq = highest(isr);
                if (irq != 8) {
                    isr &= ~(1 << irq);
                    if (cmd == 5) {
                        priorityAdd = (irq + 1) & 7;
                    }
                }
            }
            case 3 -> isr &= ~(1 << level);
            case 7 -> {
                isr &= ~(1 << level);
                priorityAdd = (level + 1) & 7;
            }
            case 6 -> priorityAdd = (level + 1) & 7;
            default -> {
                // 2: no operation.
            }
        }
    }

    /** A write to the data port (A0 = 1): ICW2-ICW4 during initialisation, else OCW1 (the mask). */
    void writeData(int v) {
        switch (initState) {
            case 1 -> {
                vectorBase = v & 0xf8;
                initState = singleMode ? (init4 ? 3 : 0) : 2;
            }
            case 2 -> initState = init4 ? 3 : 0;   // ICW3: the cascade wiring is fixed on a PC
            case 3 -> {
                autoEoi = (v & 0x02) != 0;
                specialFullyNested = (v & 0x10) != 0;
                initState = 0;
            }
            default -> imr = v & 0xff;
        }
    }

    /**
     * The byte an OCW3 poll returns: bit 7 set with the IRQ number when an interrupt is pending (acknowledged as by
     * INTA), else 0.
     */
    int pollRead() {
        poll = false;
        int irq = pendingIrq();
        if (irq < 0) {
            return 0;
        }
        acknowledge(irq);
        return 0x80 | irq;
    }

    /** A read of the command port without a poll: the IRR or, after OCW3 RIS, the ISR. */
    int readCommand() {
        return readIsr ? isr : irr;
    }

    PicState.Chip save() {
        return new PicState.Chip(irr, isr, imr, lastIrr, vectorBase, priorityAdd, readIsr, poll, specialMask,
                initState, autoEoi, rotateOnAutoEoi, specialFullyNested, init4, singleMode, elcr, elcrMask);
    }

    void restore(PicState.Chip s) {
        irr = s.irr();
        isr = s.isr();
        imr = s.imr();
        lastIrr = s.lastIrr();
        vectorBase = s.vectorBase() & 0xf8;
        priorityAdd = s.priorityAdd() & 7;
        readIsr = s.readIsr();
        poll = s.poll();
        specialMask = s.specialMask();
        initState = s.initState();
        autoEoi = s.autoEoi();
        rotateOnAutoEoi = s.rotateOnAutoEoi();
        specialFullyNested = s.specialFullyNested();
        init4 = s.init4();
        singleMode = s.singleMode();
        elcr = s.elcr() & elcrMask;
    }
}
