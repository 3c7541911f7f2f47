package org.jkvm.softcpu.cpu;

/**
 * The vCPU's local interrupt controller as the CPU core sees it: its local APIC when the VM has interrupt
 * controllers ({@code org.jkvm.softcpu.platform}), else absent ({@link Cpu#intc} is null). The run loop asks it at
 * instruction boundaries for an NMI or a maskable interrupt; RDMSR/WRMSR, MOV CR8 and the TSC reach it through
 * the hooks below. Every method runs on the vCPU's own thread (or while the vCPU is stopped) except
 * {@link #pending()}, a racy hint anyone may read.
 */
public interface InterruptController {
    /**
     * Whether an NMI or a maskable interrupt may be waiting (cheap: a volatile read). A false positive costs a call
     * of {@link #takeNmi()}/{@link #acknowledge()}; a change to true always comes with a wake-up of the vCPU.
     */
    boolean pending();

    /** Takes a pending NMI: true when one was pending (the caller delivers vector 2). */
    boolean takeNmi();

    /**
     * The interrupt acknowledge cycle with RFLAGS.IF = 1 at an instruction boundary: the highest-priority
     * interrupt the local APIC may deliver (IRR above the processor priority: IRR to ISR), or the 8259A's vector
     * when its INTR reaches the CPU through LINT0 as ExtINT.
     *
     * @return the vector to deliver, or -1 when nothing can be delivered now
     */
    int acknowledge();

    /** RDMSR of an APIC MSR (IA32_TSC_DEADLINE, the x2APIC range 0x800-0x8ff); raises #GP as the CPU would. */
    long readMsr(Cpu c, int index);

    /** WRMSR of an APIC MSR (IA32_TSC_DEADLINE, the x2APIC range 0x800-0x8ff); raises #GP as the CPU would. */
    void writeMsr(Cpu c, int index, long value);

    /** Whether {@code index} is one of the MSRs {@link #readMsr}/{@link #writeMsr} serve. */
    static boolean isApicMsr(int index) {
        return index == 0x6e0 || (index >>> 8) == 8;
    }

    /** WRMSR IA32_APIC_BASE from the guest: checks the transition (#GP) and switches the APIC's mode. */
    void writeApicBase(Cpu c, long value);

    /** MOV from CR8: TPR[7:4]. */
    long readCr8();

    /** MOV to CR8: TPR = value << 4 (bits above 3 were checked by the caller). */
    void writeCr8(long value);

    /** The vCPU's TSC was set (WRMSR IA32_TSC, a restore): a TSC-deadline timer recomputes when it is due. */
    void tscChanged();
}
