package org.jkvm.kvm.hv;

import org.jkvm.hypervisor.HvVcpu;
import org.jkvm.hypervisor.HvVm;
import org.jkvm.hypervisor.HypervisorException;
import org.jkvm.hypervisor.VmOps;
import org.jkvm.kvm.Kvm;
import org.jkvm.kvm.KvmCaps;
import org.jkvm.kvm.KvmException;
import org.jkvm.kvm.VcpuFd;
import org.jkvm.kvm.VmFd;
import org.jkvm.memory.GuestMemory;
import org.jkvm.memory.MemoryRegion;

/**
 * A KVM VM behind the seam: every RAM region registered as a memory slot with dirty logging from the start
 * ({@code KVM_MEM_LOG_DIRTY_PAGES}, so logging never needs switching on), the real-mode TSS and identity map that
 * Intel's VMX needs placed in the MMIO hole below 4 GiB, and the dirty log fetched per slot
 * ({@code KVM_GET_DIRTY_LOG}, which also clears and re-protects the slot).
 *
 * <p>Owns its VM fd; vCPUs are owned by their callers and closed first. Thread-safe (the VM fd's calls are).
 */
final class KvmVm implements HvVm {
    /** Where KVM puts the real-mode TSS (3 pages): inside the MMIO hole, never RAM. */
    static final long TSS_GPA = 0xfeffd000L;
    /** Where KVM puts the real-mode identity page table (1 page), just below the TSS. */
    static final long IDENTITY_MAP_GPA = 0xfeffc000L;
    private static final long RESERVED_END = TSS_GPA + 3 * 4096;

    private final VmFd fd;
    private final int[] msrIndices;
    private final boolean tscControl;

    KvmVm(Kvm kvm, GuestMemory memory) {
        for (MemoryRegion r : memory.regions()) {
            if (r.gpa() < RESERVED_END && r.gpa() + r.sizeBytes() > IDENTITY_MAP_GPA) {
                throw new HypervisorException("guest RAM at 0x" + Long.toHexString(r.gpa()) + "+0x"
                        + Long.toHexString(r.sizeBytes()) + " overlaps the pages KVM needs at 0x"
                        + Long.toHexString(IDENTITY_MAP_GPA) + "; lay RAM out around the MMIO hole below 4 GiB");
            }
        }
        VmFd vm = null;
        try {
            vm = kvm.createVm();
            vm.setTssAddr(TSS_GPA);
            vm.setIdentityMapAddr(IDENTITY_MAP_GPA);
            for (MemoryRegion r : memory.regions()) {
                vm.setUserMemoryRegion(r.slot(), KvmCaps.KVM_MEM_LOG_DIRTY_PAGES, r.gpa(), r.sizeBytes(), r.hva());
            }
            this.msrIndices = kvm.msrIndexList();
            this.tscControl = kvm.checkExtension(KvmCaps.KVM_CAP_TSC_CONTROL) > 0;
            this.fd = vm;
        } catch (KvmException e) {
            if (vm != null) {
                vm.close();
            }
            throw new HypervisorException("cannot create the KVM VM: " + e.getMessage(), e);
        }
    }

    @Override
    public HvVcpu createVcpu(int id, VmOps ops) {
        VcpuFd vcpu;
        try {
            vcpu = fd.createVcpu(id);
        } catch (KvmException e) {
            throw new HypervisorException("cannot create KVM vCPU " + id + ": " + e.getMessage(), e);
        }
        return new KvmVcpu(vcpu, ops, msrIndices, tscControl);
    }

    @Override
    public int dirtyLogWords(MemoryRegion region) {
        return fd.dirtyLogWords(region.slot());
    }

    @Override
    public void fetchDirtyLog(MemoryRegion region, long[] bitmap) {
        try {
            fd.getDirtyLog(region.slot(), bitmap);
        } catch (KvmException e) {
            throw new HypervisorException("cannot fetch the dirty log of RAM slot " + region.slot() + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        fd.close();
    }
}
