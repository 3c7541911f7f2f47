package org.jkvm.hypervisor;

import org.jkvm.hypervisor.pc.IoapicState;
import org.jkvm.hypervisor.pc.PicState;
import org.jkvm.hypervisor.pc.PitState;

/**
 * The PC's interrupt controllers and interval timer of one VM: the 8259A pair, the I/O APIC (24 pins), the 8254
 * PIT and one local APIC per vCPU. KVM keeps them in the kernel ({@code KVM_CREATE_IRQCHIP},
 * {@code KVM_CREATE_PIT2}); the software CPU has Java models. Either way the guest reaches them as on a PC: ports
 * 0x20-0x21, 0xa0-0xa1, 0x4d0-0x4d1 (ELCR), 0x40-0x43 and 0x61 (PIT gate/speaker), MMIO at 0xfec00000 (I/O APIC)
 * and IA32_APIC_BASE (local APIC, xAPIC) or the x2APIC MSRs. Those accesses never reach {@link VmOps}.
 *
 * <p>Routing is a PC's: GSI 0-15 are the ISA IRQs, wired to the PIC (IRQ n) and to I/O APIC pin n, except IRQ 0
 * (the PIT), which is I/O APIC pin 2; GSI 16-23 are I/O APIC pins only. Thread-safe: devices call
 * {@link #setIrq} from any thread. State methods need every vCPU paused. The local APICs' state is the vCPUs'
 * ({@link HvVcpu#saveLapic()}).
 */
public interface HvIrqChip {
    /**
     * Drives GSI {@code gsi} to {@code level}: a level-triggered device holds it while it has an interrupt; an
     * edge-triggered one raises and lowers it.
     *
     * @param gsi   0-23
     * @param level the line's level (active high as the device sees it)
     */
    void setIrq(int gsi, boolean level);

    /**
     * Delivers a message-signalled interrupt (PCI MSI/MSI-X): {@code address} in 0xfee00000-0xfeefffff selects the
     * destination, {@code data} the vector and delivery mode, as the SDM's MSI format says.
     */
    void signalMsi(long address, int data);

    /** The PIC pair and ELCRs. */
    PicState savePic();

    /** Restores the PIC pair and ELCRs. */
    void restorePic(PicState state);

    /** The I/O APIC. */
    IoapicState saveIoapic();

    /** Restores the I/O APIC. */
    void restoreIoapic(IoapicState state);

    /** The PIT, with each counter's value at the moment of the call. */
    PitState savePit();

    /** Restores the PIT; counters go on counting from the saved values in the guest's time. */
    void restorePit(PitState state);
}
