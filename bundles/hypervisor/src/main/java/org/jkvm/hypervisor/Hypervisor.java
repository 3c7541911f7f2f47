package org.jkvm.hypervisor;

import java.util.List;

import org.jkvm.hypervisor.x86.CpuidEntry;
import org.jkvm.memory.GuestMemory;

/**
 * One opened backend (the KVM system fd, or the software CPU): reports what it can offer a guest and creates VMs.
 * Thread-safe; closing it while its VMs live is allowed (they keep what they need).
 */
public interface Hypervisor extends AutoCloseable {
    /** Which backend this is. */
    Accelerator accelerator();

    /** A short description for the engine's first log line, e.g. {@code "KVM (/dev/kvm, API 12)"}. */
    String description();

    /**
     * The CPUID leaves this backend can present to a guest, with every feature bit it implements set (KVM's
     * {@code KVM_GET_SUPPORTED_CPUID}; the software CPU's own list). The engine masks them with the CPU model.
     */
    List<CpuidEntry> supportedCpuid();

    /**
     * The guest TSC frequency a new vCPU gets unless the engine sets another, in kHz (KVM: the host's; the
     * software CPU: the same host figure where it can be read, so that guests can move between backends).
     */
    int defaultTscKhz();

    /**
     * Creates a VM with every region of {@code memory} mapped at its guest-physical address and dirty logging on
     * from the start. The caller owns and closes the VM; {@code memory} must outlive it.
     *
     * @throws HypervisorException with one sentence when the VM cannot be created
     */
    HvVm createVm(GuestMemory memory);

    /** Releases the backend; VMs already created keep working. Idempotent. */
    @Override
    void close();
}
