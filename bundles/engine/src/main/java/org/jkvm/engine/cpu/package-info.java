/**
 * CPU models for {@code -cpu} ({@code host}, {@code max}, {@code qemu64}, {@code kvm64}, with {@code +feat}/{@code
 * -feat} changes) and the resolver that turns a model and the backend's supported CPUID into the table the guest sees,
 * with jkvm's hypervisor leaves (docs/contracts.md §2). Pure functions of their inputs, so both backends build the same
 * table. Not exported.
 */
package org.jkvm.engine.cpu;
