package org.jkvm.softcpu.platform;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.Vec;

/**
 * RDMSR/WRMSR of the x2APIC MSRs and IA32_TSC_DEADLINE for {@link Lapic}: which x2APIC MSRs exist (SDM vol. 3,
 * table 10-6: MSR 0x800 + offset / 16) and which IA32_APIC_BASE transitions are allowed (SDM 10.12.5, figure
 * 10-27). Everything else raises #GP(0).
 */
final class X2apicMsrs {
    /** IA32_TSC_DEADLINE. */
    static final int TSC_DEADLINE = 0x6e0;

    private X2apicMsrs() {
    }

    /** RDMSR of IA32_TSC_DEADLINE or an x2APIC MSR of {@code a} (lock held). */
    static long read(Lapic a, Cpu c, int index) {
        if (index == TSC_DEADLINE) {
            // KVM's: the MSR reads 0 outside TSC-deadline mode.
            return a.timer.mode == LapicTimer.TSC_DEADLINE ? a.timer.tscDeadline : 0;
        }
        int r = index & 0xff;
        if (!a.x2apic() || !readable(r)) {
            throw c.fault(Vec.GP, 0);
        }
        if (r == 0x30) {
            return (long) a.regs[0x31] << 32 | (a.regs[0x30] & 0xffffffffL);
        }
        return a.read(r) & 0xffffffffL;
    }

    /** WRMSR of IA32_TSC_DEADLINE or an x2APIC MSR of {@code a} (lock held; vCPU thread). */
    static void write(Lapic a, Cpu c, int index, long value) {
        if (index == TSC_DEADLINE) {
            long until = value == 0 ? 0 : a.cpu.tsc.nanosUntil(value);
            a.timer.writeDeadline(value, until, a.now());
            return;
        }
        int r = index & 0xff;
        if (!a.x2apic() || !writable(r, value)) {
            throw c.fault(Vec.GP, 0);
        }
        if (r == 0x30) {
            // The 64-bit ICR: the destination is the whole upper half.
            a.regs[0x31] = (int) (value >>> 32);
            a.write(0x30, (int) value);
        } else if (r == 0x3f) {
            a.accept((int) value & 0xff, false);
        } else {
            a.write(r, (int) value);
        }
    }

    /** Readable in x2APIC mode: ID, version, TPR, PPR, LDR, SVR, ISR/TMR/IRR, ESR, ICR, LVT, timer registers. */
    static boolean readable(int r) {
        return r == 0x02 || r == 0x03 || r == 0x08 || r == 0x0a || r == 0x0d || r == 0x0f
                || (r >= 0x10 && r <= 0x28) || r == 0x30 || (r >= 0x32 && r <= 0x39) || r == 0x3e;
    }

    /**
     * Writable in x2APIC mode with {@code value}: TPR, EOI and ESR (value 0), SVR, ICR (64 bits), LVT, initial
     * count, divide configuration and SELF IPI; the upper half must be 0 except for the ICR.
     */
    static boolean writable(int r, long value) {
        if (r == 0x30) {
            return true;
        }
        if ((value >>> 32) != 0) {
            return false;
        }
        if (r == 0x0b || r == 0x28) {
            return value == 0;
        }
        if (r == 0x3f) {
            return (value & ~0xffL) == 0;
        }
        return r == 0x08 || r == 0x0f || (r >= 0x32 && r <= 0x38) || r == 0x3e;
    }

    /**
     * Whether a WRMSR of IA32_APIC_BASE from {@code old} to {@code v} is allowed: no reserved bits (0-7, 9, above the
     * physical address width), EXTD only with EN and when CPUID advertises x2APIC, and none of the invalid
     * transitions (x2APIC to xAPIC, disabled to x2APIC).
     */
    static boolean validBase(long old, long v, int physBits, boolean x2apicAdvertised) {
        long reserved = 0x2ffL | (physBits >= 64 ? 0 : -1L << physBits);
        if ((v & reserved) != 0) {
            return false;
        }
        boolean en = (v & (1L << 11)) != 0;
        boolean extd = (v & (1L << 10)) != 0;
        boolean oldEn = (old & (1L << 11)) != 0;
        boolean oldExtd = (old & (1L << 10)) != 0;
        if (extd && (!en || !x2apicAdvertised)) {
            return false;
        }
        if (oldEn && oldExtd && en && !extd) {
            return false;   // x2APIC -> xAPIC must go through disabled
        }
        return !(!oldEn && en && extd);   // disabled -> x2APIC must go through xAPIC
    }
}
