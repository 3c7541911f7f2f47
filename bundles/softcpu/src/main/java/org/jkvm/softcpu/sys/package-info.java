/**
 * System behaviour: mode derivation ({@code Modes}), control register and EFER writes ({@code Control}), descriptor
 * loads ({@code Segments}), IDT/IVT delivery and double and triple faults ({@code Interrupts}), port I/O ({@code Io}),
 * MSRs, the TSC and the CPUID table.
 */
package org.jkvm.softcpu.sys;
