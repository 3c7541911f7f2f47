package org.jkvm.hypervisor.x86;

/**
 * The segment registers, descriptor-table registers, control registers, EFER and the APIC base: what decides the
 * CPU's mode and address translation.
 *
 * @param cs       code segment
 * @param ds       data segment
 * @param es       extra segment
 * @param fs       FS (its base is IA32_FS_BASE in 64-bit mode)
 * @param gs       GS (its base is IA32_GS_BASE in 64-bit mode)
 * @param ss       stack segment
 * @param tr       task register
 * @param ldt      LDTR
 * @param gdt      GDTR
 * @param idt      IDTR
 * @param cr0      CR0
 * @param cr2      CR2 (the last page-fault address)
 * @param cr3      CR3
 * @param cr4      CR4
 * @param cr8      CR8 (task priority, 4 bits)
 * @param efer     IA32_EFER (LME, LMA, NXE, SCE)
 * @param apicBase IA32_APIC_BASE
 */
public record SystemRegisters(SegmentRegister cs, SegmentRegister ds, SegmentRegister es, SegmentRegister fs,
                              SegmentRegister gs, SegmentRegister ss, SegmentRegister tr, SegmentRegister ldt,
                              DescriptorTable gdt, DescriptorTable idt, long cr0, long cr2, long cr3, long cr4,
                              long cr8, long efer, long apicBase) {
    /** CR0.PE: protected mode. */
    public static final long CR0_PE = 1L;
    /** CR0.MP: monitor coprocessor. */
    public static final long CR0_MP = 1L << 1;
    /** CR0.EM: x87 emulation. */
    public static final long CR0_EM = 1L << 2;
    /** CR0.TS: task switched. */
    public static final long CR0_TS = 1L << 3;
    /** CR0.ET: extension type (reads 1). */
    public static final long CR0_ET = 1L << 4;
    /** CR0.NE: native x87 errors. */
    public static final long CR0_NE = 1L << 5;
    /** CR0.WP: supervisor writes honour read-only pages. */
    public static final long CR0_WP = 1L << 16;
    /** CR0.AM: alignment mask. */
    public static final long CR0_AM = 1L << 18;
    /** CR0.NW: not write-through. */
    public static final long CR0_NW = 1L << 29;
    /** CR0.CD: cache disable. */
    public static final long CR0_CD = 1L << 30;
    /** CR0.PG: paging. */
    public static final long CR0_PG = 1L << 31;
    /** CR0 after reset: CD, NW, ET. */
    public static final long CR0_RESET = CR0_CD | CR0_NW | CR0_ET;
    /** CR4.PSE: 4 MiB pages in 32-bit paging. */
    public static final long CR4_PSE = 1L << 4;
    /** CR4.PAE: physical address extension (required for long mode). */
    public static final long CR4_PAE = 1L << 5;
    /** CR4.PGE: global pages. */
    public static final long CR4_PGE = 1L << 7;
    /** CR4.OSFXSR: the OS supports FXSAVE/FXRSTOR and SSE. */
    public static final long CR4_OSFXSR = 1L << 9;
    /** CR4.OSXSAVE: XSAVE and XGETBV/XSETBV enabled. */
    public static final long CR4_OSXSAVE = 1L << 18;
    /** EFER.SCE: SYSCALL/SYSRET enabled. */
    public static final long EFER_SCE = 1L;
    /** EFER.LME: long mode enable. */
    public static final long EFER_LME = 1L << 8;
    /** EFER.LMA: long mode active (set by the CPU when paging turns on with LME). */
    public static final long EFER_LMA = 1L << 10;
    /** EFER.NXE: the execute-disable bit of page tables is honoured. */
    public static final long EFER_NXE = 1L << 11;
    /** The default APIC base: 0xfee00000, enabled, bootstrap processor. */
    public static final long APIC_BASE_DEFAULT = 0xfee00000L | 1L << 11 | 1L << 8;

    /**
     * The state of an x86 CPU after RESET (Intel SDM vol. 3, table 9-1): real mode, CS = 0xf000 with base
     * 0xffff0000 (so execution starts at 0xfffffff0 with IP 0xfff0), all other segments 0, CR0 = 0x60000010.
     */
    public static SystemRegisters reset() {
        SegmentRegister data = SegmentRegister.realMode(0, false);
        SegmentRegister cs = new SegmentRegister(0xf000, 0xffff0000L, 0xffff, 0xb, true, 0, true, false, false,
                false, false, false);
        return new SystemRegisters(cs, data, data, data, data, data, SegmentRegister.resetTr(),
                SegmentRegister.resetLdtr(), DescriptorTable.reset(), DescriptorTable.reset(), CR0_RESET, 0, 0, 0, 0,
                0, APIC_BASE_DEFAULT);
    }

    /** Whether long mode is active (EFER.LMA). */
    public boolean longModeActive() {
        return (efer & EFER_LMA) != 0;
    }

    /** Whether the CPU is in protected mode (CR0.PE). */
    public boolean protectedMode() {
        return (cr0 & CR0_PE) != 0;
    }

    /** Copy with other code and data segments (DS, ES, FS, GS and SS all set to {@code data}). */
    public SystemRegisters withSegments(SegmentRegister code, SegmentRegister data) {
        return new SystemRegisters(code, data, data, data, data, data, tr, ldt, gdt, idt, cr0, cr2, cr3, cr4, cr8,
                efer, apicBase);
    }

    /** Copy with other CR0, CR3, CR4 and EFER. */
    public SystemRegisters withControl(long newCr0, long newCr3, long newCr4, long newEfer) {
        return new SystemRegisters(cs, ds, es, fs, gs, ss, tr, ldt, gdt, idt, newCr0, cr2, newCr3, newCr4, cr8,
                newEfer, apicBase);
    }

    /** Copy with another GDTR and IDTR. */
    public SystemRegisters withTables(DescriptorTable newGdt, DescriptorTable newIdt) {
        return new SystemRegisters(cs, ds, es, fs, gs, ss, tr, ldt, newGdt, newIdt, cr0, cr2, cr3, cr4, cr8, efer,
                apicBase);
    }

    /** Copy with another TR and LDTR. */
    public SystemRegisters withTaskAndLdt(SegmentRegister newTr, SegmentRegister newLdt) {
        return new SystemRegisters(cs, ds, es, fs, gs, ss, newTr, newLdt, gdt, idt, cr0, cr2, cr3, cr4, cr8, efer,
                apicBase);
    }
}
