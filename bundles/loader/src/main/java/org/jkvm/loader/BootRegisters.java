package org.jkvm.loader;

/**
 * The register values for entering the firmware directly in 64-bit long mode (contracts §1). The engine turns
 * these into KVM regs/sregs; segment bases are 0 and limits 4 GiB (flat).
 *
 * @param rip      the 64-bit entry point
 * @param rsp      the initial stack pointer (0: the firmware sets its own stack)
 * @param rdi      the multiboot magic 0x2BADB002
 * @param rsi      the gpa of the multiboot information
 * @param rflags   RFLAGS (0x2: only the reserved bit)
 * @param cr0      CR0 (PE | PG, plus ET and NE)
 * @param cr3      CR3 (the PML4)
 * @param cr4      CR4 (PAE)
 * @param efer     EFER (LME | LMA)
 * @param codeSel  CS selector (64-bit code)
 * @param dataSel  DS/ES/FS/GS/SS selector (flat data)
 * @param gdtBase  GDTR base
 * @param gdtLimit GDTR limit
 */
public record BootRegisters(long rip, long rsp, long rdi, long rsi, long rflags, long cr0, long cr3, long cr4,
        long efer, int codeSel, int dataSel, long gdtBase, int gdtLimit) {
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
}
