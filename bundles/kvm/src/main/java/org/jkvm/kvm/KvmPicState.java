package org.jkvm.kvm;

import java.nio.ByteBuffer;

/**
 * One in-kernel 8259A, {@code struct kvm_pic_state} (16 bytes), the payload of {@code struct kvm_irqchip} for
 * chip 0 (master) or 1 (slave) of {@code KVM_GET_IRQCHIP}/{@code KVM_SET_IRQCHIP}.
 *
 * <pre>
 * offset 0 last_irr  1 irr  2 imr  3 isr  4 priority_add  5 irq_base  6 read_reg_select  7 poll
 *        8 special_mask  9 init_state  10 auto_eoi  11 rotate_on_auto_eoi  12 special_fully_nested_mode
 *       13 init4  14 elcr  15 elcr_mask                                        (each a u8)
 * </pre>
 *
 * @param lastIrr            the input levels last seen (edge detection)
 * @param irr                interrupt request register
 * @param imr                interrupt mask register
 * @param isr                in-service register
 * @param priorityAdd        the rotation (the highest-priority IRQ)
 * @param irqBase            ICW2: vector of IRQ 0 of this chip
 * @param readRegSelect      1 when a read of the command port returns the ISR
 * @param poll               1 when the next read is a poll
 * @param specialMask        1 in special mask mode
 * @param initState          0 idle, 1-3 expecting ICW2-ICW4
 * @param autoEoi            1 in automatic EOI mode
 * @param rotateOnAutoEoi    1 when automatic EOI rotates priorities
 * @param specialFullyNested 1 in special fully nested mode
 * @param init4              1 when the ICW sequence includes ICW4
 * @param elcr               edge/level control register
 * @param elcrMask           the ELCR bits that may be set
 */
public record KvmPicState(int lastIrr, int irr, int imr, int isr, int priorityAdd, int irqBase, int readRegSelect,
        int poll, int specialMask, int initState, int autoEoi, int rotateOnAutoEoi, int specialFullyNested, int init4,
        int elcr, int elcrMask) {
    /** Size of {@code struct kvm_pic_state} in bytes. */
    public static final int SIZE = 16;

    /** Checks that every field is a byte. */
    public KvmPicState {
        int[] all = {lastIrr, irr, imr, isr, priorityAdd, irqBase, readRegSelect, poll, specialMask, initState,
            autoEoi, rotateOnAutoEoi, specialFullyNested, init4, elcr, elcrMask};
        for (int v : all) {
            if (v < 0 || v > 0xff) {
                throw new IllegalArgumentException("kvm_pic_state fields are u8, got " + v);
            }
        }
    }

    /** Reads the kernel layout at {@code offset} of a buffer. */
    public static KvmPicState read(ByteBuffer b, int offset) {
        int[] v = new int[SIZE];
        for (int i = 0; i < SIZE; i++) {
            v[i] = b.get(offset + i) & 0xff;
        }
        return new KvmPicState(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12],
                v[13], v[14], v[15]);
    }

    /** Writes the kernel layout at {@code offset} of a buffer. */
    public void write(ByteBuffer b, int offset) {
        int[] v = {lastIrr, irr, imr, isr, priorityAdd, irqBase, readRegSelect, poll, specialMask, initState,
            autoEoi, rotateOnAutoEoi, specialFullyNested, init4, elcr, elcrMask};
        for (int i = 0; i < SIZE; i++) {
            b.put(offset + i, (byte) v[i]);
        }
    }
}
