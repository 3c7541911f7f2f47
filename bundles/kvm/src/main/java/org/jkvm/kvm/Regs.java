package org.jkvm.kvm;

import java.nio.ByteBuffer;

/**
 * The general-purpose registers, {@code struct kvm_regs} ({@code KVM_GET_REGS}/{@code KVM_SET_REGS}).
 *
 * <pre>
 * offset  0 rax  8 rbx 16 rcx 24 rdx 32 rsi 40 rdi 48 rsp 56 rbp
 *        64 r8  72 r9  80 r10 88 r11 96 r12 104 r13 112 r14 120 r15
 *       128 rip 136 rflags                       (all u64, 144 bytes)
 * </pre>
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
 * @param rflags RFLAGS (bit 1 is always set)
 */
public record Regs(long rax, long rbx, long rcx, long rdx, long rsi, long rdi, long rsp, long rbp,
                   long r8, long r9, long r10, long r11, long r12, long r13, long r14, long r15,
                   long rip, long rflags) {
    /** Size of {@code struct kvm_regs} in bytes. */
    public static final int SIZE = 144;
    /** Size of the compact encoding in bytes. */
    public static final int ENCODED_SIZE = SIZE;

    /** All zero except RFLAGS = 0x2 (the reserved bit), at {@code rip}. */
    public static Regs atRip(long rip) {
        return new Regs(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, rip, 0x2);
    }

    /** The 18 registers in kernel order. */
    public long[] toArray() {
        return new long[] {rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp, r8, r9, r10, r11, r12, r13, r14, r15, rip, rflags};
    }

    /** Builds from 18 values in kernel order. */
    public static Regs fromArray(long[] v) {
        if (v.length != 18) {
            throw new IllegalArgumentException("kvm_regs has 18 registers, got " + v.length);
        }
        return new Regs(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13],
                v[14], v[15], v[16], v[17]);
    }

    /** Copy with another RIP. */
    public Regs withRip(long newRip) {
        long[] v = toArray();
        v[16] = newRip;
        return fromArray(v);
    }

    /** Reads the kernel layout at {@code offset} of a little-endian buffer. */
    public static Regs read(ByteBuffer le, int offset) {
        long[] v = new long[18];
        for (int i = 0; i < v.length; i++) {
            v[i] = le.getLong(offset + 8 * i);
        }
        return fromArray(v);
    }

    /** Writes the kernel layout at {@code offset} of a little-endian buffer. */
    public void write(ByteBuffer le, int offset) {
        long[] v = toArray();
        for (int i = 0; i < v.length; i++) {
            le.putLong(offset + 8 * i, v[i]);
        }
    }

    /** Compact encoding at the buffer's position, in the buffer's byte order (the migration stream: big-endian). */
    public void encode(ByteBuffer out) {
        for (long r : toArray()) {
            out.putLong(r);
        }
    }

    /** Reads what {@link #encode} wrote. */
    public static Regs decode(ByteBuffer in) {
        long[] v = new long[18];
        for (int i = 0; i < v.length; i++) {
            v[i] = in.getLong();
        }
        return fromArray(v);
    }
}
