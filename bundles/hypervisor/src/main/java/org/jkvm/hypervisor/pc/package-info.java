/**
 * The architectural state of the PC platform's interrupt controllers and interval timer, as the Intel 8259A and
 * 8254 data sheets, the Intel 82093AA I/O APIC data sheet and the SDM's local APIC chapter define them: what a
 * migration carries for {@link org.jkvm.hypervisor.HvIrqChip} and the local APICs, whichever backend saved it
 * (KVM's in-kernel irqchip and PIT, or the software CPU's Java models) and whichever restores it. Time-dependent
 * values are expressed as what the guest would read at the moment of the save (a counter's current value), never
 * as a host timestamp.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.jkvm.hypervisor.pc;
