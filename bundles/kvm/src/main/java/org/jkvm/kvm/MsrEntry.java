package org.jkvm.kvm;

import java.nio.ByteBuffer;

/**
 * One model-specific register, {@code struct kvm_msr_entry} (16 bytes: u32 index, u32 reserved, u64 data).
 *
 * @param index the MSR number, e.g. {@link #IA32_TSC}
 * @param data  its 64-bit value
 */
public record MsrEntry(int index, long data) {
    /** Size of {@code struct kvm_msr_entry} in bytes. */
    public static final int SIZE = 16;
    /** Size of the compact encoding in bytes. */
    public static final int ENCODED_SIZE = 12;
    /** IA32_TSC: the time-stamp counter. */
    public static final int IA32_TSC = 0x10;
    /** IA32_APIC_BASE. */
    public static final int IA32_APIC_BASE = 0x1b;
    /** IA32_EFER. */
    public static final int IA32_EFER = 0xc0000080;
    /** IA32_TSC_DEADLINE. */
    public static final int IA32_TSC_DEADLINE = 0x6e0;

    /** Reads the kernel layout at {@code offset} of a little-endian buffer. */
    public static MsrEntry read(ByteBuffer le, int offset) {
        return new MsrEntry(le.getInt(offset), le.getLong(offset + 8));
    }

    /** Writes the kernel layout at {@code offset} of a little-endian buffer. */
    public void write(ByteBuffer le, int offset) {
        le.putInt(offset, index).putInt(offset + 4, 0).putLong(offset + 8, data);
    }

    /** Compact encoding at the buffer's position in the buffer's byte order. */
    public void encode(ByteBuffer out) {
        out.putInt(index).putLong(data);
    }

    /** Reads what {@link #encode} wrote. */
    public static MsrEntry decode(ByteBuffer in) {
        return new MsrEntry(in.getInt(), in.getLong());
    }

    @Override
    public String toString() {
        return "MsrEntry[0x" + Integer.toHexString(index) + "=0x" + Long.toHexString(data) + "]";
    }
}
