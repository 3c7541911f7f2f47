package org.jkvm.softcpu.platform;

/**
 * Which x2APIC MSRs exist (SDM vol. 3, table 10-6: MSR 0x800 + offset / 16) and which IA32_APIC_BASE transitions
 * are allowed (SDM 10.12.5, figure 10-27). Everything else raises #GP(0) in the caller.
 */
final class X2apicMsrs {
    private X2apicMsrs() {
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
