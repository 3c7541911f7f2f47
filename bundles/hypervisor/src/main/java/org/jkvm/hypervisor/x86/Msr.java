package org.jkvm.hypervisor.x86;

/**
 * One model-specific register and its value.
 *
 * @param index the MSR number (ECX of RDMSR/WRMSR), as an unsigned 32-bit value
 * @param value the 64-bit value
 */
public record Msr(int index, long value) {
    /** IA32_TIME_STAMP_COUNTER: the guest TSC; saving it keeps guest time monotonic across a migration. */
    public static final int IA32_TSC = 0x10;
    /** IA32_APIC_BASE. */
    public static final int IA32_APIC_BASE = 0x1b;
    /** IA32_FEATURE_CONTROL. */
    public static final int IA32_FEATURE_CONTROL = 0x3a;
    /** IA32_TSC_ADJUST. */
    public static final int IA32_TSC_ADJUST = 0x3b;
    /** IA32_SYSENTER_CS. */
    public static final int IA32_SYSENTER_CS = 0x174;
    /** IA32_SYSENTER_ESP. */
    public static final int IA32_SYSENTER_ESP = 0x175;
    /** IA32_SYSENTER_EIP. */
    public static final int IA32_SYSENTER_EIP = 0x176;
    /** IA32_MISC_ENABLE. */
    public static final int IA32_MISC_ENABLE = 0x1a0;
    /** IA32_PAT: page attribute table. */
    public static final int IA32_PAT = 0x277;
    /** IA32_TSC_DEADLINE. */
    public static final int IA32_TSC_DEADLINE = 0x6e0;
    /** IA32_EFER. */
    public static final int IA32_EFER = 0xc0000080;
    /** IA32_STAR: SYSCALL/SYSRET selectors and the legacy-mode SYSCALL target. */
    public static final int IA32_STAR = 0xc0000081;
    /** IA32_LSTAR: the 64-bit SYSCALL target. */
    public static final int IA32_LSTAR = 0xc0000082;
    /** IA32_CSTAR: the compatibility-mode SYSCALL target. */
    public static final int IA32_CSTAR = 0xc0000083;
    /** IA32_FMASK: RFLAGS bits SYSCALL clears. */
    public static final int IA32_FMASK = 0xc0000084;
    /** IA32_FS_BASE. */
    public static final int IA32_FS_BASE = 0xc0000100;
    /** IA32_GS_BASE. */
    public static final int IA32_GS_BASE = 0xc0000101;
    /** IA32_KERNEL_GS_BASE: swapped with GS base by SWAPGS. */
    public static final int IA32_KERNEL_GS_BASE = 0xc0000102;
    /** IA32_TSC_AUX: what RDTSCP returns in ECX. */
    public static final int IA32_TSC_AUX = 0xc0000103;

    /** The value of {@code index} in {@code msrs}, or {@code fallback} when it is not there. */
    public static long find(java.util.List<Msr> msrs, int index, long fallback) {
        for (Msr m : msrs) {
            if (m.index() == index) {
                return m.value();
            }
        }
        return fallback;
    }

    @Override
    public String toString() {
        return "Msr[0x" + Integer.toHexString(index) + "=0x" + Long.toHexString(value) + "]";
    }
}
