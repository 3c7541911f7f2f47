package org.jkvm.hypervisor.pc;

/**
 * The two cascaded 8259A programmable interrupt controllers of a PC (master at ports 0x20-0x21 with IRQ 0-7,
 * slave at 0xa0-0xa1 with IRQ 8-15 on the master's IRQ 2) and their edge/level control registers (ELCR, ports
 * 0x4d0-0x4d1).
 *
 * @param master the master chip
 * @param slave  the slave chip
 */
public record PicState(Chip master, Chip slave) {
    /**
     * One 8259A.
     *
     * @param irr                 interrupt request register
     * @param isr                 in-service register
     * @param imr                 interrupt mask register (OCW1)
     * @param lastIrr             the input levels last seen (edge detection)
     * @param vectorBase          ICW2: the vector of IRQ 0 of this chip (a multiple of 8)
     * @param priorityAdd         the rotation: the IRQ with the highest priority is {@code priorityAdd}
     * @param readIsr             OCW3 RR/RIS: a read of the command port returns the ISR (else the IRR)
     * @param poll                OCW3 P: the next read is a poll
     * @param specialMask         OCW3 special mask mode
     * @param initState           where an ICW sequence is (0 = not initialising, 1-3 = expecting ICW2-ICW4)
     * @param autoEoi             ICW4 AEOI
     * @param rotateOnAutoEoi     OCW2 rotate in automatic EOI mode
     * @param specialFullyNested  ICW4 SFNM
     * @param init4               ICW1 IC4: an ICW4 follows
     * @param singleMode          ICW1 SNGL
     * @param elcr                the edge/level control register: bit n set = IRQ n of this chip is level
     *                            triggered
     * @param elcrMask            the ELCR bits that may be set (0xf8 master, 0xde slave on a PC)
     */
    public record Chip(int irr, int isr, int imr, int lastIrr, int vectorBase, int priorityAdd, boolean readIsr,
                       boolean poll, boolean specialMask, int initState, boolean autoEoi, boolean rotateOnAutoEoi,
                       boolean specialFullyNested, boolean init4, boolean singleMode, int elcr, int elcrMask) {
        /** Validates the 8-bit registers. */
        public Chip {
            for (int v : new int[] {irr, isr, imr, lastIrr, vectorBase, priorityAdd, elcr, elcrMask}) {
                if (v < 0 || v > 0xff) {
                    throw new IllegalArgumentException("8259A registers are 8 bits, got 0x" + Integer.toHexString(v));
                }
            }
            if (initState < 0 || initState > 3) {
                throw new IllegalArgumentException("8259A init state must be 0-3, got " + initState);
            }
        }

        /** A chip after power-on: everything 0 except the ELCR mask. */
        public static Chip reset(int elcrMask) {
            return new Chip(0, 0, 0, 0, 0, 0, false, false, false, 0, false, false, false, false, false, 0, elcrMask);
        }
    }

    /** The pair after power-on, with a PC's ELCR masks. */
    public static PicState reset() {
        return new PicState(Chip.reset(0xf8), Chip.reset(0xde));
    }
}
