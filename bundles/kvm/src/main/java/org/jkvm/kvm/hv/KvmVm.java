package org.jkvm.kvm.hv;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.jkvm.hypervisor.GuestClock;
import org.jkvm.hypervisor.HvIrqChip;
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
 * <p>With {@link #createIrqChip()} (before the vCPUs) the PC's interrupt controllers and PIT live in the kernel
 * ({@link KvmIrqChip}), and each vCPU gets a local APIC and halts in the kernel.
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
    /** {@code KVM_CAP_KVMCLOCK_CTRL}. */
    private final boolean kvmclockCtrl;
    /** Host time for the engine's devices: never paused (KVM's own clocks run on through a pause). */
    private final GuestClock clock = new GuestClock();
    /** The vCPUs created, for {@link #resumeGuestTime()}. */
    private final List<KvmVcpu> vcpus = new CopyOnWriteArrayList<>();
    /** {@link #pauseGuestTime()} was called and no resume since. */
    private volatile boolean paused;
    /** The irqchip, once created; guarded by this. */
    private KvmIrqChip irqChip;
    /** Whether a vCPU exists (the irqchip must come first); guarded by this. */
    private boolean vcpuCreated;

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
            this.kvmclockCtrl = kvm.checkExtension(KvmCaps.KVM_CAP_KVMCLOCK_CTRL) > 0;
            this.fd = vm;
        } catch (KvmException e) {
            if (vm != null) {
                vm.close();
            }
            throw new HypervisorException("cannot create the KVM VM: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized HvVcpu createVcpu(int id, VmOps ops) {
        VcpuFd vcpu;
        try {
            vcpu = fd.createVcpu(id);
        } catch (KvmException e) {
            throw new HypervisorException("cannot create KVM vCPU " + id + ": " + e.getMessage(), e);
        }
        vcpuCreated = true;
        KvmVcpu v = new KvmVcpu(vcpu, ops, irqChip == null ? msrIndices : withTscDeadline(msrIndices), tscControl,
                irqChip != null);
        vcpus.add(v);
        return v;
    }

    @Override
    public GuestClock guestClock() {
        return clock;
    }

    /** KVM's TSC, kvmclock and in-kernel timers run on; only the pause is noted for {@link #resumeGuestTime()}. */
    @Override
    public void pauseGuestTime() {
        paused = true;
    }

    /**
     * After a pause, each vCPU issues {@code KVM_KVMCLOCK_CTRL} before it next enters the guest, where the kernel has
     * it ({@code KVM_CAP_KVMCLOCK_CTRL}), as QEMU does for a stopped guest.
     */
    @Override
    public void resumeGuestTime() {
        if (!paused) {
            return;
        }
        paused = false;
        if (kvmclockCtrl) {
            for (KvmVcpu v : vcpus) {
                v.guestPaused();
            }
        }
    }

    @Override
    public long kvmClockNanos() {
        try {
            return fd.getClock();
        } catch (KvmException e) {
            throw new HypervisorException("cannot read the guest's kvmclock (KVM_GET_CLOCK): " + e.getMessage(), e);
        }
    }

    @Override
    public void setKvmClockNanos(long nanos) {
        try {
            fd.setClock(nanos);
        } catch (KvmException e) {
            throw new HypervisorException("cannot set the guest's kvmclock (KVM_SET_CLOCK) to " + nanos + " ns: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public boolean irqChipSupported() {
        return missingIrqChipCapability() == null;
    }

    /**
     * {@code KVM_CREATE_IRQCHIP} (PIC pair, I/O APIC, a local APIC per vCPU), the PC's GSI routing
     * ({@code KVM_SET_GSI_ROUTING}, {@link KvmPlatform#pcRouting()}) and {@code KVM_CREATE_PIT2} with the speaker
     * port emulated in the kernel too, so that ports 0x40-0x43 and 0x61 never exit.
     */
    @Override
    public synchronized HvIrqChip createIrqChip() {
        if (irqChip != null) {
            throw new HypervisorException("the KVM irqchip of this VM exists already; create it once");
        }
        if (vcpuCreated) {
            throw new HypervisorException("the KVM irqchip must be created before the first vCPU; create it first");
        }
        String missing = missingIrqChipCapability();
        if (missing != null) {
            throw new HypervisorException("this KVM has no " + missing + ", so it cannot emulate the PC's interrupt "
                    + "controllers; run with -machine kernel-irqchip=off");
        }
        try {
            fd.createIrqchip();
            fd.setGsiRouting(KvmPlatform.pcRouting());
            fd.createPit2(KvmCaps.KVM_PIT_SPEAKER_DUMMY);
        } catch (KvmException e) {
            throw new HypervisorException("cannot create the KVM irqchip: " + e.getMessage(), e);
        }
        irqChip = new KvmIrqChip(fd, System::nanoTime);
        return irqChip;
    }

    /** The first capability the irqchip needs that this KVM lacks, or null. */
    private String missingIrqChipCapability() {
        int[] caps = {KvmCaps.KVM_CAP_IRQCHIP, KvmCaps.KVM_CAP_IRQ_ROUTING, KvmCaps.KVM_CAP_PIT2,
            KvmCaps.KVM_CAP_PIT_STATE2, KvmCaps.KVM_CAP_SIGNAL_MSI};
        String[] names = {"KVM_CAP_IRQCHIP", "KVM_CAP_IRQ_ROUTING", "KVM_CAP_PIT2", "KVM_CAP_PIT_STATE2",
            "KVM_CAP_SIGNAL_MSI"};
        for (int i = 0; i < caps.length; i++) {
            if (fd.checkExtension(caps[i]) <= 0) {
                return names[i];
            }
        }
        return null;
    }

    /**
     * The MSR list with IA32_TSC_DEADLINE, whose value lives in the in-kernel local APIC (KVM's list normally has
     * it; a host whose list lacks it would lose an armed deadline timer in a migration).
     */
    static int[] withTscDeadline(int[] indices) {
        for (int i : indices) {
            if (i == KvmVcpu.MSR_TSC_DEADLINE) {
                return indices;
            }
        }
        int[] out = java.util.Arrays.copyOf(indices, indices.length + 1);
        out[indices.length] = KvmVcpu.MSR_TSC_DEADLINE;
        return out;
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
