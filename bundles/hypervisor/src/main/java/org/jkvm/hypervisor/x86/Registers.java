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

    /**
     * A builder: every register zero and RFLAGS {@link #RFLAGS_RESET} until set, so a caller names only the
     * registers it means (a boot protocol's entry state) instead of writing 18 positional values.
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Collects register values by name; not thread-safe. */
    public static final class Builder {
        private long rax;
        private long rbx;
        private long rcx;
        private long rdx;
        private long rsi;
        private long rdi;
        private long rsp;
        private long rbp;
        private long r8;
        private long r9;
        private long r10;
        private long r11;
        private long r12;
        private long r13;
        private long r14;
        private long r15;
        private long rip;
        private long rflags = RFLAGS_RESET;

        private Builder() {
        }

        /** Sets RAX. */
        public Builder rax(long v) {
            rax = v;
            return this;
        }

        /** Sets RBX. */
        public Builder rbx(long v) {
            rbx = v;
            return this;
        }

        /** Sets RCX. */
        public Builder rcx(long v) {
            rcx = v;
            return this;
        }

        /** Sets RDX. */
        public Builder rdx(long v) {
            rdx = v;
            return this;
        }

        /** Sets RSI. */
        public Builder rsi(long v) {
            rsi = v;
            return this;
        }

        /** Sets RDI. */
        public Builder rdi(long v) {
            rdi = v;
            return this;
        }

        /** Sets RSP. */
        public Builder rsp(long v) {
            rsp = v;
            return this;
        }

        /** Sets RBP. */
        public Builder rbp(long v) {
            rbp = v;
            return this;
        }

        /** Sets R8. */
        public Builder r8(long v) {
            r8 = v;
            return this;
        }

        /** Sets R9. */
        public Builder r9(long v) {
            r9 = v;
            return this;
        }

        /** Sets R10. */
        public Builder r10(long v) {
            r10 = v;
            return this;
        }

        /** Sets R11. */
        public Builder r11(long v) {
            r11 = v;
            return this;
        }

        /** Sets R12. */
        public Builder r12(long v) {
            r12 = v;
            return this;
        }

        /** Sets R13. */
        public Builder r13(long v) {
            r13 = v;
            return this;
        }

        /** Sets R14. */
        public Builder r14(long v) {
            r14 = v;
            return this;
        }

        /** Sets R15. */
        public Builder r15(long v) {
            r15 = v;
            return this;
        }

        /** Sets RIP. */
        public Builder rip(long v) {
            rip = v;
            return this;
        }

        /** Sets RFLAGS. */
        public Builder rflags(long v) {
            rflags = v;
            return this;
        }

        /** The registers. */
        public Registers build() {
            return new Registers(rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp, r8, r9, r10, r11, r12, r13, r14, r15, rip,
                    rflags);
        }
    }
}
