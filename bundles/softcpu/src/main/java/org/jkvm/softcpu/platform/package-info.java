/**
 * The PC platform of the software CPU, in Java: the 8259A pair with its ELCRs, the I/O APIC, the 8254 PIT with port
 * 0x61 and one local APIC per vCPU (xAPIC and x2APIC, timer in one-shot, periodic and TSC-deadline modes), wired as
 * on a PC and reached by the guest through its ports, MMIO pages and MSRs, never through the engine's buses.
 * {@link org.jkvm.softcpu.platform.SoftIrqChip} is the {@link org.jkvm.hypervisor.HvIrqChip} the engine gets from
 * {@code SoftVm.createIrqChip()}; the run loop takes interrupts from a vCPU's
 * {@link org.jkvm.softcpu.platform.Lapic} through {@link org.jkvm.softcpu.cpu.InterruptController}. Timers count in
 * guest time (the host's monotonic clock, as the virtual TSC does) and fire on one thread per VM.
 */
package org.jkvm.softcpu.platform;
