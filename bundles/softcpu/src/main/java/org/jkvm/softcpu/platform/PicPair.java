package org.jkvm.softcpu.platform;

import org.jkvm.hypervisor.pc.PicState;

/**
 * The PC's two cascaded 8259As (master: ports 0x20-0x21, IRQ 0-7; slave: 0xa0-0xa1, IRQ 8-15, its INT on the
 * master's IRQ 2) and the edge/level control registers (ELCR, ports 0x4d0-0x4d1). The master's INT is the CPU's
 * INTR, which reaches the local APIC's LINT0 ({@link #intr()}); {@link #acknowledge()} is the INTA cycle.
 *
 * <p>The cascade input is edge triggered (the PC's ELCR cannot make IRQ 2 level): the master latches a request
 * whenever the slave's INT is up after a change (the slave's INT drops during its own INTA, so a slave with further
 * requests raises a new edge), and keeps it when the slave's request goes away, which then ends as the slave's
 * spurious IRQ 15. Not thread-safe: the {@link SoftIrqChip} lock guards every call.
 */
final class PicPair {
    /** The PC's ELCR masks: IRQ 0, 1, 2, 8 and 13 are edge triggered only. */
    static final int MASTER_ELCR_MASK = 0xf8;
    static final int SLAVE_ELCR_MASK = 0xde;

    final Pic8259 master = new Pic8259(true, MASTER_ELCR_MASK);
    final Pic8259 slave = new Pic8259(false, SLAVE_ELCR_MASK);

    /** Whether the port belongs to the pair or the ELCRs. */
    static boolean claims(int port) {
        return (port & ~1) == 0x20 || (port & ~1) == 0xa0 || (port & ~1) == 0x4d0;
    }

    /** Drives ISA IRQ {@code irq} (0-15) to {@code level}. */
    void setIrq(int irq, boolean level) {
        if (irq < 8) {
            if (irq != 2) {
                master.setInput(irq, level);
            }
        } else {
            slave.setInput(irq - 8, level);
        }
        cascade();
    }

    /** The slave's INT latches the master's IRQ 2 request. */
    private void cascade() {
        if (slave.pendingIrq() >= 0) {
            master.irr |= 1 << 2;
        }
    }

    /** The master's INT output: the CPU's INTR line. */
    boolean intr() {
        return master.pendingIrq() >= 0;
    }

    /**
     * The INTA cycle: the vector of the highest-priority request, IRR to ISR on the chip(s) involved. When the
     * request went away before the acknowledge the chip answers with its IRQ 7 vector without setting ISR (the
     * 8259A's spurious interrupt; on the slave the master's cascade bit is still set in service).
     */
    int acknowledge() {
        int irq = master.pendingIrq();
        int vector;
        if (irq < 0) {
            vector = master.vectorBase + 7;
        } else if (irq == 2) {
            master.acknowledge(2);
            int s = slave.pendingIrq();
            if (s < 0) {
                vector = slave.vectorBase + 7;
            } else {
                slave.acknowledge(s);
                vector = slave.vectorBase + s;
            }
        } else {
            master.acknowledge(irq);
            vector = master.vectorBase + irq;
        }
        cascade();
        return vector;
    }

    /** IN of one byte from a port {@link #claims} accepted. */
    int read(int port) {
        int v;
        switch (port) {
            case 0x20, 0x21 -> v = readChip(master, port);
            case 0xa0, 0xa1 -> v = readChip(slave, port);
            case 0x4d0 -> v = master.elcr;
            default -> v = slave.elcr;
        }
        return v;
    }

    private int readChip(Pic8259 chip, int port) {
        int v;
        if (chip.poll) {
            v = chip.pollRead();
            if (chip == slave) {
                // The slave's request ended: the master's cascade input follows.
                cascade();
            } else if ((v & 0x87) == 0x82) {
                // A poll that took the cascade IRQ acknowledged the slave's interrupt as an INTA would.
                int s = slave.pendingIrq();
                if (s >= 0) {
                    slave.acknowledge(s);
                }
                cascade();
            }
        } else {
            v = (port & 1) == 0 ? chip.readCommand() : chip.imr;
        }
        return v;
    }

    /** OUT of one byte to a port {@link #claims} accepted. */
    void write(int port, int v) {
        switch (port) {
            case 0x20 -> master.writeCommand(v);
            case 0x21 -> master.writeData(v);
            case 0xa0 -> slave.writeCommand(v);
            case 0xa1 -> slave.writeData(v);
            case 0x4d0 -> master.elcr = v & master.elcrMask;
            default -> slave.elcr = v & slave.elcrMask;
        }
        cascade();
    }

    PicState save() {
        return new PicState(master.save(), slave.save());
    }

    void restore(PicState s) {
        master.restore(s.master());
        slave.restore(s.slave());
        cascade();
    }
}
