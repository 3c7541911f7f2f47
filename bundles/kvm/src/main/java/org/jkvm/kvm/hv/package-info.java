/**
 * KVM behind the hypervisor seam ({@link org.jkvm.hypervisor}): {@link org.jkvm.kvm.hv.KvmProvider} opens
 * {@code /dev/kvm} for {@code -accel kvm}; the VM and vCPU adapters turn KVM's exits into
 * {@link org.jkvm.hypervisor.VcpuExit} (port I/O and MMIO handled inside {@code run()}) and its uapi state structures
 * into the architectural records of {@link org.jkvm.hypervisor.x86}. The engine never sees this package: it finds
 * the provider through {@link java.util.ServiceLoader}.
 */
package org.jkvm.kvm.hv;
