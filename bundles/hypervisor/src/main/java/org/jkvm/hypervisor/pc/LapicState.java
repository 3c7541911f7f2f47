package org.jkvm.hypervisor.pc;

import java.util.Arrays;

/**
 * One local APIC: its register page as the guest reads it through xAPIC MMIO (the first 1 KiB of the 4 KiB page
 * at IA32_APIC_BASE: each 32-bit register at a 16-byte aligned offset, e.g. ID at 0x20, TPR at 0x80, SVR at 0xf0,
 * ISR 0x100-0x170, TMR 0x180-0x1f0, IRR 0x200-0x270, ESR 0x280, ICR 0x300/0x310, LVT timer 0x320, LVT LINT0/1
 * 0x350/0x360, LVT error 0x370, timer initial count 0x380, current count 0x390, divide configuration 0x3e0), with
 * the timer's current count as it would read at the save. The APIC base and mode (xAPIC/x2APIC) are in
 * IA32_APIC_BASE, the TSC-deadline timer in IA32_TSC_DEADLINE: both travel with the vCPU's MSRs.
 *
 * @param registers 1024 bytes, little-endian; copied in and out
 */
public record LapicState(byte[] registers) {
    /** Bytes of the register page carried. */
    public static final int SIZE = 1024;
    /** Offset of the ID register. */
    public static final int ID = 0x20;
    /** Offset of the version register. */
    public static final int VERSION = 0x30;
    /** Offset of the task priority register. */
    public static final int TPR = 0x80;
    /** Offset of the spurious-interrupt vector register. */
    public static final int SVR = 0xf0;
    /** Offset of the first ISR word. */
    public static final int ISR = 0x100;
    /** Offset of the first TMR word. */
    public static final int TMR = 0x180;
    /** Offset of the first IRR word. */
    public static final int IRR = 0x200;
    /** Offset of the LVT timer register. */
    public static final int LVT_TIMER = 0x320;
    /** Offset of the timer's initial count. */
    public static final int TIMER_INITIAL = 0x380;
    /** Offset of the timer's current count. */
    public static final int TIMER_CURRENT = 0x390;
    /** Offset of the timer's divide configuration. */
    public static final int TIMER_DIVIDE = 0x3e0;

    /** Validates the size and copies. */
    public LapicState {
        if (registers.length != SIZE) {
            throw new IllegalArgumentException("a local APIC register page is " + SIZE + " bytes, got "
                    + registers.length);
        }
        registers = registers.clone();
    }

    /** A copy of the register page. */
    @Override
    public byte[] registers() {
        return registers.clone();
    }

    /** The 32-bit register at {@code offset} (a multiple of 16). */
    public int register(int offset) {
        return (registers[offset] & 0xff) | (registers[offset + 1] & 0xff) << 8 | (registers[offset + 2] & 0xff) << 16
                | (registers[offset + 3] & 0xff) << 24;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LapicState s && Arrays.equals(registers, s.registers);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(registers);
    }

    @Override
    public String toString() {
        return "LapicState[id=0x" + Integer.toHexString(register(ID)) + ", svr=0x" + Integer.toHexString(register(SVR))
                + ", lvtt=0x" + Integer.toHexString(register(LVT_TIMER)) + "]";
    }
}
