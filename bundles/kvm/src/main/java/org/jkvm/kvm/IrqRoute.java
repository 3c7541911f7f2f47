package org.jkvm.kvm;

import java.nio.ByteBuffer;

/**
 * One GSI route of {@code KVM_SET_GSI_ROUTING}, {@code struct kvm_irq_routing_entry} (48 bytes) of type
 * {@code KVM_IRQ_ROUTING_IRQCHIP}: GSI {@code gsi} drives pin {@code pin} of in-kernel chip {@code chip}. A GSI may
 * have several routes (a PC wires ISA IRQs to a PIC and to the I/O APIC).
 *
 * <pre>
 * offset 0 u32 gsi  4 u32 type (1 = irqchip)  8 u32 flags  12 u32 pad  16 u32 irqchip  20 u32 pin  24 pad to 48
 * </pre>
 *
 * @param gsi  the global system interrupt
 * @param chip {@link #PIC_MASTER}, {@link #PIC_SLAVE} or {@link #IOAPIC}
 * @param pin  the chip's input (0-7 on a PIC, 0-23 on the I/O APIC)
 */
public record IrqRoute(int gsi, int chip, int pin) {
    /** Size of {@code struct kvm_irq_routing_entry} in bytes. */
    public static final int SIZE = 48;
    /** {@code KVM_IRQ_ROUTING_IRQCHIP}. */
    public static final int TYPE_IRQCHIP = 1;
    /** {@code KVM_IRQCHIP_PIC_MASTER}. */
    public static final int PIC_MASTER = 0;
    /** {@code KVM_IRQCHIP_PIC_SLAVE}. */
    public static final int PIC_SLAVE = 1;
    /** {@code KVM_IRQCHIP_IOAPIC}. */
    public static final int IOAPIC = 2;

    /** Writes the kernel layout at {@code offset} of a little-endian buffer (padding zeroed). */
    public void write(ByteBuffer le, int offset) {
        for (int i = 0; i < SIZE; i += 4) {
            le.putInt(offset + i, 0);
        }
        le.putInt(offset, gsi).putInt(offset + 4, TYPE_IRQCHIP).putInt(offset + 16, chip).putInt(offset + 20, pin);
    }
}
