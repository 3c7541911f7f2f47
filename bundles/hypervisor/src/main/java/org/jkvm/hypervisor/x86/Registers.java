package org.jkvm.hypervisor.x86;

/**
 * The general-purpose registers, RIP and RFLAGS (all 64 bits; in legacy modes the upper halves are whatever the
 * CPU left there, as on hardware).
 *
 * @param rax    RAX
 * @param rbx    RBX
 * @param rcx    RCX
 * @param rdx    RDX
 * @param rsi    RSI
 * @param rdi    RDI
 * @param rsp    RSP
 * @param rbp    RBP
 * @param r8     R8
 * @param r9     R9
 * @param r10    R10
 * @param r11    R11
 * @param r12    R12
 * @param r13    R13
 * @param r14    R14
 * @param r15    R15
 * @param rip    RIP
 * @param rflags RFLAGS (bit 1 always reads 1)
 */
public record Registers(long rax, long rbx, long rcx, long rdx, long rsi, long rdi, long rsp, long rbp,
                        long r8, long r9, long r10, long r11, long r12, long r13, long r14, long r15,
                        long rip, long rflags) {
    /** RFLAGS after reset: only the reserved bit 1. */
    public static final long RFLAGS_RESET = 0x2;

    /** All zero except RFLAGS = 0x2, at {@code rip}. */
    public static Registers atRip(long rip) {
        return new Registers(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, rip, RFLAGS_RESET);
    }

    /**
     * The 16 general-purpose registers in instruction-encoding order (RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
     * R8..R15: the ModRM/REX register numbers).
     */
    public long[] gprs() {
        return new long[] {rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15};
    }

    /**
     * Builds from registers in instruction-encoding order (see {@link #gprs()}).
     *
     * @param gprs   16 values
     * @param rip    RIP
     * @param rflags RFLAGS
     */
    public static Registers of(long[] gprs, long rip, long rflags) {
        if (gprs.length != 16) {
            throw new IllegalArgumentException("x86-64 has 16 general-purpose registers, got " + gprs.length);
        }
        return new Registers(gprs[0], gprs[3], gprs[1], gprs[2], gprs[6], gprs[7], gprs[4], gprs[5], gprs[8],
                gprs[9], gprs[10], gprs[11], gprs[12], gprs[13], gprs[14], gprs[15], rip, rflags);
    }

    /** Copy with another RIP. */
    public Registers withRip(long newRip) {
        return of(gprs(), newRip, rflags);
    }

    /** Copy with another RFLAGS. */
    public Registers withRflags(long newRflags) {
        return of(gprs(), rip, newRflags);
    }
}
