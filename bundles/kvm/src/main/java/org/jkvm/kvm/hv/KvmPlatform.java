package org.jkvm.kvm.hv;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.hypervisor.pc.IoapicState;
import org.jkvm.hypervisor.pc.LapicState;
import org.jkvm.hypervisor.pc.PicState;
import org.jkvm.kvm.IrqRoute;
import org.jkvm.kvm.KvmIoapicState;
import org.jkvm.kvm.KvmLapicState;
import org.jkvm.kvm.KvmPicState;

/**
 * Conversions between the in-kernel irqchip's uapi structures and the architectural records of
 * {@code org.jkvm.hypervisor.pc}: the 8259A pair, the I/O APIC and the local APIC page (the PIT, which needs the
 * clock, is {@link KvmPit}), and the PC's GSI routing. Stateless.
 *
 * <p>What KVM cannot hold: an 8259A in single mode (ICW1 SNGL; KVM always expects ICW3, as on a PC's cascaded
 * pair), so {@code singleMode} reads false and is dropped on the way in; an I/O APIC elsewhere than 0xfec00000.
 */
final class KvmPlatform {
    /** The I/O APIC's MMIO base on a PC. */
    static final long IOAPIC_BASE = 0xfec00000L;
    /** The number of GSIs a PC routes: 16 ISA IRQs and I/O APIC pins 16-23. */
    static final int GSIS = IoapicState.PINS;

    private KvmPlatform() {
    }

    /** One in-kernel 8259A as the record. */
    static PicState.Chip chip(KvmPicState k) {
        return new PicState.Chip(k.irr(), k.isr(), k.imr(), k.lastIrr(), k.irqBase(), k.priorityAdd(),
                k.readRegSelect() != 0, k.poll() != 0, k.specialMask() != 0, k.initState(), k.autoEoi() != 0,
                k.rotateOnAutoEoi() != 0, k.specialFullyNested() != 0, k.init4() != 0, false, k.elcr(), k.elcrMask());
    }

    /** The record as one in-kernel 8259A ({@code singleMode} dropped: KVM has no single mode). */
    static KvmPicState kvmPic(PicState.Chip c) {
        return new KvmPicState(c.lastIrr(), c.irr(), c.imr(), c.isr(), c.priorityAdd(), c.vectorBase(),
                bit(c.readIsr()), bit(c.poll()), bit(c.specialMask()), c.initState(), bit(c.autoEoi()),
                bit(c.rotateOnAutoEoi()), bit(c.specialFullyNested()), bit(c.init4()), c.elcr(), c.elcrMask());
    }

    /** The in-kernel I/O APIC as the record. */
    static IoapicState ioapic(KvmIoapicState k) {
        return new IoapicState(k.id(), k.ioregsel(), k.irr(), k.redirtbl());
    }

    /** The record as the in-kernel I/O APIC, at the PC's base address. */
    static KvmIoapicState kvmIoapic(IoapicState s) {
        if (s.id() < 0 || s.id() > 15) {
            throw new IllegalArgumentException("I/O APIC id " + s.id() + " is not 0-15");
        }
        return new KvmIoapicState(IOAPIC_BASE, s.ioregsel(), s.id(), s.irr(), s.redirection());
    }

    /** KVM's local APIC page as the record: both are the architectural xAPIC page, byte for byte. */
    static LapicState lapic(KvmLapicState k) {
        return new LapicState(k.regs());
    }

    /** The record as KVM's local APIC page. */
    static KvmLapicState kvmLapic(LapicState s) {
        return new KvmLapicState(s.registers());
    }

    /**
     * A PC's GSI routing, as {@link org.jkvm.hypervisor.HvIrqChip} promises: GSI 0-7 to master PIC inputs 0-7, GSI
     * 8-15 to slave inputs 0-7, and GSI n to I/O APIC pin n, except that GSI 0 (the PIT) goes to pin 2, the
     * interrupt source override an ACPI MADT states, and GSI 2 (the PIC cascade) goes nowhere.
     */
    static List<IrqRoute> pcRouting() {
        List<IrqRoute> routes = new ArrayList<>();
        for (int gsi = 0; gsi < GSIS; gsi++) {
            if (gsi == 2) {
                continue;
            }
            if (gsi < 8) {
                routes.add(new IrqRoute(gsi, IrqRoute.PIC_MASTER, gsi));
            } else if (gsi < 16) {
                routes.add(new IrqRoute(gsi, IrqRoute.PIC_SLAVE, gsi - 8));
            }
            routes.add(new IrqRoute(gsi, IrqRoute.IOAPIC, gsi == 0 ? 2 : gsi));
        }
        return routes;
    }

    private static int bit(boolean b) {
        return b ? 1 : 0;
    }
}
