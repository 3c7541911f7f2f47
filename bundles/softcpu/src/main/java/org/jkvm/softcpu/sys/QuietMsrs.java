package org.jkvm.softcpu.sys;

/**
 * Model-specific MSRs a kernel reads without a fault handler on the CPUs jkvm's models name (AMD family 0Fh/17h,
 * Intel family 6/15), which this CPU implements as reads of zero with writes ignored, as KVM does for a guest: AMD's
 * SYSCFG (0xC0010010, read by Linux's MTRR code on AMD), HWCR (0xC0010015), INT_PENDING_MSG (0xC0010055, read for
 * erratum 400 on family 0Fh), NB_CFG (0xC001001F), MMIO_CONF_BASE (0xC0010058), TSEG_ADDR/MASK (0xC0010112/3),
 * DC_CFG (0xC0011022), BU_CFG2 (0xC001102A), EX_CFG (0xC001102C); the microcode revision (0x8B) and PERF_CTL
 * (0x199). None of them changes what this CPU does, so none is saved for a migration. Stateless; thread-safe.
 */
public final class QuietMsrs {
    private static final int[] INDEXES = {0xc0010010, 0xc0010015, 0xc0010055, 0xc001001f, 0xc0010058, 0xc0010112,
        0xc0010113, 0xc0011022, 0xc001102a, 0xc001102c, 0x8b, 0x199};

    private QuietMsrs() {
    }

    /** Whether {@code index} is one of these MSRs. */
    public static boolean handles(int index) {
        for (int i : INDEXES) {
            if (i == index) {
                return true;
            }
        }
        return false;
    }
}
