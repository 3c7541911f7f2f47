package org.jkvm.loader;

/**
 * The CPU state a loader hands the first instruction: the mode, the entry point and the registers each boot
 * protocol defines. The engine turns these into the backend's registers; segments are flat (base 0, limit 4 GiB),
 * the code segment 64-bit in {@link Mode#LONG_64} and 32-bit in {@link Mode#PROTECTED_32}, and every register
 * not named here is 0 (RFLAGS 0x2: interrupts off).
 *
 * @param mode     the CPU mode at entry
 * @param rip      the entry point (a physical address: paging is off, or an identity map is active)
 * @param rsp      the initial stack pointer (0 when the protocol leaves it to the kernel)
 * @param gprs     the general-purpose registers the protocol defines
 * @param cr0      CR0
 * @param cr3      CR3 (the PML4 in long mode, 0 otherwise)
 * @param cr4      CR4
 * @param efer     IA32_EFER
 * @param codeSel  CS selector
 * @param dataSel  DS/ES/FS/GS/SS selector
 * @param gdtBase  GDTR base
 * @param gdtLimit GDTR limit
 * @param idtBase  IDTR base
 * @param idtLimit IDTR limit
 */
public record BootRegisters(Mode mode, long rip, long rsp, Gprs gprs, long cr0, long cr3, long cr4, long efer,
        int codeSel, int dataSel, long gdtBase, int gdtLimit, long idtBase, int idtLimit) {
    /** CR0.PE: protected mode. */
    public static final long CR0_PE = 1L;
    /** CR0.ET: extension type (always 1 on modern CPUs). */
    public static final long CR0_ET = 1L << 4;
    /** CR0.NE: native FPU error reporting. */
    public static final long CR0_NE = 1L << 5;
    /** CR0.PG: paging. */
    public static final long CR0_PG = 1L << 31;
    /** CR4.PAE: physical address extension (required for long mode). */
    public static final long CR4_PAE = 1L << 5;
    /** EFER.LME: long mode enable. */
    public static final long EFER_LME = 1L << 8;
    /** EFER.LMA: long mode active. */
    public static final long EFER_LMA = 1L << 10;
    /** RFLAGS at every entry: only the reserved bit 1 (IF clear, as every protocol here demands). */
    public static final long RFLAGS = 0x2;

    /** The CPU mode at entry. */
    public enum Mode {
        /** 64-bit long mode, paging on with the loader's identity map (jkvm firmware, Linux's 64-bit entry). */
        LONG_64,
        /** 32-bit protected mode with paging off (multiboot, PVH, Linux's 32-bit entry). */
        PROTECTED_32
    }

    /**
     * The general-purpose registers a protocol sets (the others are 0).
     *
     * @param rax RAX (multiboot: the magic 0x2BADB002)
     * @param rbx RBX (multiboot: the information; PVH: hvm_start_info)
     * @param rcx RCX (multiboot: the entry point, as QEMU's loader leaves it)
     * @param rsi RSI (Linux: boot_params; jkvm firmware: the multiboot information)
     * @param rdi RDI (jkvm firmware: the multiboot magic)
     */
    public record Gprs(long rax, long rbx, long rcx, long rsi, long rdi) {
        /** All zero. */
        public static final Gprs NONE = new Gprs(0, 0, 0, 0, 0);
    }

    /** RSI, for callers of the firmware entry. */
    public long rsi() {
        return gprs.rsi();
    }

    /** RDI, for callers of the firmware entry. */
    public long rdi() {
        return gprs.rdi();
    }

    /** RFLAGS ({@link #RFLAGS}). */
    public long rflags() {
        return RFLAGS;
    }

    /** Whether the entry is in 64-bit long mode. */
    public boolean longMode() {
        return mode == Mode.LONG_64;
    }
}
