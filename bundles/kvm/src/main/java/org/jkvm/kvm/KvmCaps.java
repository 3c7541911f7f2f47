package org.jkvm.kvm;

/** {@code KVM_CAP_*} numbers from {@code linux/kvm.h} that jkvm checks, for {@link Kvm#checkExtension(int)}. */
public final class KvmCaps {
    /** Legacy in-kernel PIC/IOAPIC/LAPIC. */
    public static final int KVM_CAP_IRQCHIP = 0;
    /** {@code KVM_SET_USER_MEMORY_REGION}. */
    public static final int KVM_CAP_USER_MEMORY = 3;
    /** {@code KVM_SET_TSS_ADDR}. */
    public static final int KVM_CAP_SET_TSS_ADDR = 4;
    /** {@code KVM_GET_SUPPORTED_CPUID} and {@code KVM_SET_CPUID2}. */
    public static final int KVM_CAP_EXT_CPUID = 7;
    /** Recommended maximum number of vCPUs. */
    public static final int KVM_CAP_NR_VCPUS = 9;
    /** Number of memory slots. */
    public static final int KVM_CAP_NR_MEMSLOTS = 10;
    /** {@code KVM_GET_MP_STATE}/{@code KVM_SET_MP_STATE}. */
    public static final int KVM_CAP_MP_STATE = 14;
    /** Host page table changes are propagated (required for safe mmap backing). */
    public static final int KVM_CAP_SYNC_MMU = 16;
    /** {@code KVM_SET_GSI_ROUTING}; the value is the number of routes a VM may have. */
    public static final int KVM_CAP_IRQ_ROUTING = 25;
    /** {@code KVM_CREATE_PIT2}. */
    public static final int KVM_CAP_PIT2 = 33;
    /** {@code KVM_GET_PIT2}/{@code KVM_SET_PIT2}. */
    public static final int KVM_CAP_PIT_STATE2 = 35;
    /** {@code KVM_SET_IDENTITY_MAP_ADDR}. */
    public static final int KVM_CAP_SET_IDENTITY_MAP_ADDR = 37;
    /** {@code KVM_GET_CLOCK}/{@code KVM_SET_CLOCK}. */
    public static final int KVM_CAP_ADJUST_CLOCK = 39;
    /** {@code KVM_GET_VCPU_EVENTS}/{@code KVM_SET_VCPU_EVENTS}. */
    public static final int KVM_CAP_VCPU_EVENTS = 41;
    /** {@code KVM_GET_DEBUGREGS}/{@code KVM_SET_DEBUGREGS}. */
    public static final int KVM_CAP_DEBUGREGS = 50;
    /** {@code KVM_GET_XSAVE}/{@code KVM_SET_XSAVE}. */
    public static final int KVM_CAP_XSAVE = 55;
    /** {@code KVM_GET_XCRS}/{@code KVM_SET_XCRS}. */
    public static final int KVM_CAP_XCRS = 56;
    /** {@code KVM_SET_TSC_KHZ}. */
    public static final int KVM_CAP_TSC_CONTROL = 60;
    /** {@code KVM_GET_TSC_KHZ}. */
    public static final int KVM_CAP_GET_TSC_KHZ = 61;
    /** Maximum number of vCPUs. */
    public static final int KVM_CAP_MAX_VCPUS = 66;
    /** The in-kernel local APIC's TSC-deadline timer mode (IA32_TSC_DEADLINE). */
    public static final int KVM_CAP_TSC_DEADLINE_TIMER = 72;
    /** {@code KVM_KVMCLOCK_CTRL}: tell a vCPU's kvmclock that the guest was paused. */
    public static final int KVM_CAP_KVMCLOCK_CTRL = 76;
    /** {@code KVM_SIGNAL_MSI}. */
    public static final int KVM_CAP_SIGNAL_MSI = 77;
    /** The {@code immediate_exit} byte of {@code kvm_run}. */
    public static final int KVM_CAP_IMMEDIATE_EXIT = 136;
    /** {@code KVM_CLEAR_DIRTY_LOG}, enabled with {@code KVM_ENABLE_CAP}. */
    public static final int KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 = 168;
    /** The per-vCPU dirty ring. */
    public static final int KVM_CAP_DIRTY_LOG_RING = 192;
    /** {@code KVM_GET_XSAVE2}; the value is the xsave buffer size in bytes. */
    public static final int KVM_CAP_XSAVE2 = 208;

    /** {@code KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)} arg: GET_DIRTY_LOG no longer clears. */
    public static final long KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE = 1L;
    /** {@code KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)} arg: new slots start all dirty. */
    public static final long KVM_DIRTY_LOG_INITIALLY_SET = 2L;

    /** {@code kvm_pit_config.flags} of {@code KVM_CREATE_PIT2}: the kernel also emulates port 0x61. */
    public static final int KVM_PIT_SPEAKER_DUMMY = 1;

    /** {@code kvm_userspace_memory_region.flags}: track writes for {@code KVM_GET_DIRTY_LOG}. */
    public static final int KVM_MEM_LOG_DIRTY_PAGES = 1;
    /** {@code kvm_userspace_memory_region.flags}: guest writes exit as MMIO. */
    public static final int KVM_MEM_READONLY = 2;

    private KvmCaps() {
    }
}
