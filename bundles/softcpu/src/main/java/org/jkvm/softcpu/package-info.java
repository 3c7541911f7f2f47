/**
 * jkvm's software x86-64 CPU ({@code -accel tcg}) behind the hypervisor seam: {@code SoftCpuProvider} (found through
 * ServiceLoader), {@code SoftHypervisor}, {@code SoftVm} (guest-physical map, dirty log) and {@code SoftVcpu} (one
 * CPU), with the conversion of the CPU state to and from the architectural records. bundles/softcpu/DESIGN.md has the
 * layers, the hot path and the dirty-tracking protocol. Knows no KVM.
 */
package org.jkvm.softcpu;
