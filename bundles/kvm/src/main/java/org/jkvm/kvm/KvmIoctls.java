package org.jkvm.kvm;

/**
 * Every KVM ioctl number jkvm uses, named as in {@code linux/kvm.h} and built with the {@code _IO}/{@code _IOR}/
 * {@code _IOW}/{@code _IOWR} encoding of {@code asm-generic/ioctl.h} (x86-64): bits 0-7 number, 8-15 type
 * ({@code KVMIO} = 0xAE), 16-29 argument size, 30-31 direction (1 = write to kernel, 2 = read from kernel).
 *
 * <p>Each entry's Javadoc names the uapi struct passed and the capability that gates it ("always" for the
 * baseline of API version 12). Sizes are those of x86-64.
 */
public final class KvmIoctls {
    /** The ioctl type byte of KVM. */
    public static final int KVMIO = 0xAE;

    /** Size of {@code struct kvm_irqchip}: u32 chip_id, u32 pad, a 512-byte union. */
    public static final int IRQCHIP_SIZE = 520;

    private static final int IOC_NONE = 0;
    private static final int IOC_WRITE = 1;
    private static final int IOC_READ = 2;

    private KvmIoctls() {
    }

    /** {@code _IOC(dir, type, nr, size)}. */
    static long ioc(int dir, int type, int nr, int size) {
        return ((long) dir << 30) | ((long) size << 16) | ((long) type << 8) | nr;
    }

    /** {@code _IO(KVMIO, nr)}: no argument struct. */
    static long io(int nr) {
        return ioc(IOC_NONE, KVMIO, nr, 0);
    }

    /** {@code _IOR(KVMIO, nr, size)}: the kernel writes a struct of {@code size} bytes. */
    static long ior(int nr, int size) {
        return ioc(IOC_READ, KVMIO, nr, size);
    }

    /** {@code _IOW(KVMIO, nr, size)}: the kernel reads a struct of {@code size} bytes. */
    static long iow(int nr, int size) {
        return ioc(IOC_WRITE, KVMIO, nr, size);
    }

    /** {@code _IOWR(KVMIO, nr, size)}: both directions. */
    static long iowr(int nr, int size) {
        return ioc(IOC_READ | IOC_WRITE, KVMIO, nr, size);
    }

    // ---- system ioctls (on the /dev/kvm fd) ----

    /** No argument; returns 12. Always. */
    public static final long KVM_GET_API_VERSION = io(0x00);
    /** Argument: machine type (0); returns a VM fd. Always. */
    public static final long KVM_CREATE_VM = io(0x01);
    /** {@code struct kvm_msr_list} (u32 nmsrs + u32 indices[]). Always on x86. */
    public static final long KVM_GET_MSR_INDEX_LIST = iowr(0x02, 4);
    /** Argument: a {@code KVM_CAP_*} number; returns 0 or a positive value. Always (also on a VM fd). */
    public static final long KVM_CHECK_EXTENSION = io(0x03);
    /** No argument; returns the size of the {@code kvm_run} mmap. Always. */
    public static final long KVM_GET_VCPU_MMAP_SIZE = io(0x04);
    /** {@code struct kvm_cpuid2} + {@code kvm_cpuid_entry2[]}. {@code KVM_CAP_EXT_CPUID}. */
    public static final long KVM_GET_SUPPORTED_CPUID = iowr(0x05, 8);
    /** {@code struct kvm_cpuid2} + entries. {@code KVM_CAP_EXT_EMUL_CPUID}. */
    public static final long KVM_GET_EMULATED_CPUID = iowr(0x09, 8);
    /** {@code struct kvm_msr_list}. {@code KVM_CAP_GET_MSR_FEATURES}. */
    public static final long KVM_GET_MSR_FEATURE_INDEX_LIST = iowr(0x0a, 4);

    // ---- VM ioctls (on a VM fd) ----

    /** Argument: vCPU id; returns a vCPU fd. Always. */
    public static final long KVM_CREATE_VCPU = io(0x41);
    /** {@code struct kvm_dirty_log} (u32 slot, u32 pad, u64 bitmap address). Always. */
    public static final long KVM_GET_DIRTY_LOG = iow(0x42, 16);
    /** {@code struct kvm_userspace_memory_region} (32 bytes). {@code KVM_CAP_USER_MEMORY}. */
    public static final long KVM_SET_USER_MEMORY_REGION = iow(0x46, 32);
    /** Argument: gpa of a 3-page region for the TSS (Intel). {@code KVM_CAP_SET_TSS_ADDR}. */
    public static final long KVM_SET_TSS_ADDR = io(0x47);
    /** Pointer to a u64 gpa of the one-page identity map (Intel). {@code KVM_CAP_SET_IDENTITY_MAP_ADDR}. */
    public static final long KVM_SET_IDENTITY_MAP_ADDR = iow(0x48, 8);
    /** No argument; creates the in-kernel PIC, IOAPIC and LAPICs. {@code KVM_CAP_IRQCHIP}. */
    public static final long KVM_CREATE_IRQCHIP = io(0x60);
    /** {@code struct kvm_irq_level} (u32 irq, u32 level). {@code KVM_CAP_IRQCHIP}. */
    public static final long KVM_IRQ_LINE = iow(0x61, 8);
    /**
     * {@code struct kvm_irqchip} (u32 chip_id, u32 pad, 512-byte union: {@link KvmPicState} or
     * {@link KvmIoapicState}). {@code KVM_CAP_IRQCHIP}. kvm.h declares it {@code _IOWR}.
     */
    public static final long KVM_GET_IRQCHIP = iowr(0x62, IRQCHIP_SIZE);
    /** {@code struct kvm_irqchip}. {@code KVM_CAP_IRQCHIP}. kvm.h declares it {@code _IOR} (sic), so it is here. */
    public static final long KVM_SET_IRQCHIP = ior(0x63, IRQCHIP_SIZE);
    /** {@code struct kvm_irq_routing} (u32 nr, u32 flags) + {@link IrqRoute} entries. {@code KVM_CAP_IRQ_ROUTING}. */
    public static final long KVM_SET_GSI_ROUTING = iow(0x6a, 8);
    /** {@code struct kvm_irqfd} (32 bytes). {@code KVM_CAP_IRQFD}. */
    public static final long KVM_IRQFD = iow(0x76, 32);
    /** {@code struct kvm_pit_config} (64 bytes). {@code KVM_CAP_PIT2}. */
    public static final long KVM_CREATE_PIT2 = iow(0x77, 64);
    /** {@code struct kvm_ioeventfd} (64 bytes). {@code KVM_CAP_IOEVENTFD}. */
    public static final long KVM_IOEVENTFD = iow(0x79, 64);
    /** {@code struct kvm_pit_state2} (112 bytes). {@code KVM_CAP_PIT_STATE2}. */
    public static final long KVM_GET_PIT2 = ior(0x9f, KvmPitState2.SIZE);
    /** {@code struct kvm_pit_state2} (112 bytes). {@code KVM_CAP_PIT_STATE2}. */
    public static final long KVM_SET_PIT2 = iow(0xa0, KvmPitState2.SIZE);
    /**
     * {@code struct kvm_msi} (u32 address_lo, address_hi, data, flags, devid; 12 bytes pad): returns 1 when
     * delivered, 0 when the guest blocked it. {@code KVM_CAP_SIGNAL_MSI}.
     */
    public static final long KVM_SIGNAL_MSI = iow(0xa5, 32);
    /** {@code struct kvm_clock_data} (48 bytes). {@code KVM_CAP_ADJUST_CLOCK}. */
    public static final long KVM_SET_CLOCK = iow(0x7b, 48);
    /** {@code struct kvm_clock_data} (48 bytes). {@code KVM_CAP_ADJUST_CLOCK}. */
    public static final long KVM_GET_CLOCK = ior(0x7c, 48);
    /** {@code struct kvm_enable_cap} (104 bytes); on a VM or vCPU fd. {@code KVM_CAP_ENABLE_CAP_VM}. */
    public static final long KVM_ENABLE_CAP = iow(0xa3, 104);
    /** {@code struct kvm_clear_dirty_log} (24 bytes). {@code KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2}. */
    public static final long KVM_CLEAR_DIRTY_LOG = iowr(0xc0, 24);

    // ---- vCPU ioctls (on a vCPU fd) ----

    /** No argument; runs until an exit, described in the {@code kvm_run} mmap. Always. */
    public static final long KVM_RUN = io(0x80);
    /** {@code struct kvm_regs} (144 bytes). Always. */
    public static final long KVM_GET_REGS = ior(0x81, Regs.SIZE);
    /** {@code struct kvm_regs} (144 bytes). Always. */
    public static final long KVM_SET_REGS = iow(0x82, Regs.SIZE);
    /** {@code struct kvm_sregs} (312 bytes). Always. */
    public static final long KVM_GET_SREGS = ior(0x83, Sregs.SIZE);
    /** {@code struct kvm_sregs} (312 bytes). Always. */
    public static final long KVM_SET_SREGS = iow(0x84, Sregs.SIZE);
    /**
     * {@code struct kvm_interrupt} (u32 irq): queues an external interrupt for the next entry. Only without an
     * in-kernel irqchip, and only when {@code kvm_run.ready_for_interrupt_injection} says the guest takes it. Always.
     */
    public static final long KVM_INTERRUPT = iow(0x86, 4);
    /** {@code struct kvm_msrs} + {@code kvm_msr_entry[]}; returns the count read. Always on x86. */
    public static final long KVM_GET_MSRS = iowr(0x88, 8);
    /** {@code struct kvm_msrs} + entries; returns the count written. Always on x86. */
    public static final long KVM_SET_MSRS = iow(0x89, 8);
    /** {@code struct kvm_fpu} (416 bytes). Always. */
    public static final long KVM_GET_FPU = ior(0x8c, Fpu.SIZE);
    /** {@code struct kvm_fpu} (416 bytes). Always. */
    public static final long KVM_SET_FPU = iow(0x8d, Fpu.SIZE);
    /** {@code struct kvm_lapic_state} (1024 bytes). {@code KVM_CAP_IRQCHIP}. */
    public static final long KVM_GET_LAPIC = ior(0x8e, KvmLapicState.SIZE);
    /** {@code struct kvm_lapic_state} (1024 bytes). {@code KVM_CAP_IRQCHIP}. */
    public static final long KVM_SET_LAPIC = iow(0x8f, KvmLapicState.SIZE);
    /** {@code struct kvm_cpuid2} + {@code kvm_cpuid_entry2[]}. {@code KVM_CAP_EXT_CPUID}. */
    public static final long KVM_SET_CPUID2 = iow(0x90, 8);
    /** {@code struct kvm_cpuid2} + entries. {@code KVM_CAP_EXT_CPUID}. */
    public static final long KVM_GET_CPUID2 = iowr(0x91, 8);
    /** {@code struct kvm_mp_state} (u32). {@code KVM_CAP_MP_STATE}. */
    public static final long KVM_GET_MP_STATE = ior(0x98, 4);
    /** {@code struct kvm_mp_state} (u32). {@code KVM_CAP_MP_STATE}. */
    public static final long KVM_SET_MP_STATE = iow(0x99, 4);
    /** {@code struct kvm_vcpu_events} (64 bytes). {@code KVM_CAP_VCPU_EVENTS}. */
    public static final long KVM_GET_VCPU_EVENTS = ior(0x9f, VcpuEvents.SIZE);
    /** {@code struct kvm_vcpu_events} (64 bytes). {@code KVM_CAP_VCPU_EVENTS}. */
    public static final long KVM_SET_VCPU_EVENTS = iow(0xa0, VcpuEvents.SIZE);
    /** {@code struct kvm_debugregs} (128 bytes). {@code KVM_CAP_DEBUGREGS}. */
    public static final long KVM_GET_DEBUGREGS = ior(0xa1, DebugRegs.SIZE);
    /** {@code struct kvm_debugregs} (128 bytes). {@code KVM_CAP_DEBUGREGS}. */
    public static final long KVM_SET_DEBUGREGS = iow(0xa2, DebugRegs.SIZE);
    /** Argument: the guest TSC frequency in kHz. {@code KVM_CAP_TSC_CONTROL}. */
    public static final long KVM_SET_TSC_KHZ = io(0xa2);
    /** No argument; returns the guest TSC frequency in kHz. {@code KVM_CAP_GET_TSC_KHZ}. */
    public static final long KVM_GET_TSC_KHZ = io(0xa3);
    /** {@code struct kvm_xsave} (4096 bytes; larger with XSAVE2). {@code KVM_CAP_XSAVE}. */
    public static final long KVM_GET_XSAVE = ior(0xa4, 4096);
    /** {@code struct kvm_xsave} (4096 bytes, or the XSAVE2 size). {@code KVM_CAP_XSAVE}. */
    public static final long KVM_SET_XSAVE = iow(0xa5, 4096);
    /** {@code struct kvm_xcrs} (392 bytes). {@code KVM_CAP_XCRS}. */
    public static final long KVM_GET_XCRS = ior(0xa6, Xcrs.SIZE);
    /** {@code struct kvm_xcrs} (392 bytes). {@code KVM_CAP_XCRS}. */
    public static final long KVM_SET_XCRS = iow(0xa7, Xcrs.SIZE);
    /** No argument; tells the guest's kvmclock the vCPU was paused. {@code KVM_CAP_KVMCLOCK_CTRL}. */
    public static final long KVM_KVMCLOCK_CTRL = io(0xad);
    /** {@code struct kvm_xsave} of {@code KVM_CHECK_EXTENSION(KVM_CAP_XSAVE2)} bytes. {@code KVM_CAP_XSAVE2}. */
    public static final long KVM_GET_XSAVE2 = ior(0xcf, 4096);
}
