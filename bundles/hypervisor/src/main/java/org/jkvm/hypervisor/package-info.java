/**
 * The hypervisor seam (Cloud Hypervisor's {@code hypervisor} crate in Java): what the engine needs from whatever
 * runs guest code, and nothing more.
 *
 * <pre>
 *   engine ──uses──▶ Hypervisor ──createVm──▶ HvVm ──createVcpu──▶ HvVcpu ──run()──▶ VcpuExit
 *                        ▲                                           │
 *          HypervisorProvider (ServiceLoader)                        └──calls back──▶ VmOps (port I/O, MMIO)
 *            ├── kvm: bundles/kvm (/dev/kvm through JNA)
 *            └── tcg: bundles/softcpu (jkvm's software x86-64 CPU)
 * </pre>
 *
 * <p>The vCPU state crosses the seam only as the architectural records of {@link org.jkvm.hypervisor.x86}, never
 * as one backend's structures, so a state saved by one backend restores on the other. Errors are one unchecked
 * type, {@link org.jkvm.hypervisor.HypervisorException}, whose message is a sentence for the user.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.jkvm.hypervisor;
