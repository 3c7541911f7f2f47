/**
 * The architectural x86-64 vCPU state as the Intel SDM and AMD APM define it: registers, segment registers with
 * their descriptor caches, descriptor tables, control registers, the XSAVE area, MSRs, CPUID leaves, pending events
 * and the activity state. No backend's layout appears here; KVM's adapter and the software CPU convert.
 * Records are immutable values; arrays are copied in and out.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.jkvm.hypervisor.x86;
