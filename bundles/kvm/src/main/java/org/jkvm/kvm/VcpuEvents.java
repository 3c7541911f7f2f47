package org.jkvm.kvm;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Pending exceptions, interrupts, NMI and SMI state, {@code struct kvm_vcpu_events} (64 bytes), kept as raw
 * little-endian kernel bytes.
 *
 * <pre>
 * offset  0 exception {u8 injected, nr, has_error_code, pending; u32 error_code}
 *         8 interrupt {u8 injected, nr, soft, shadow}   12 nmi {u8 injected, pending, masked, pad}
 *        16 u32 sipi_vector   20 u32 flags   24 smi {u8 smm, pending, smm_inside_nmi, latched_init}
 *        28 u8 reserved[27] ... 55 u8 exception_has_payload  56 u64 exception_payload
 * </pre>
 *
 * @param bytes the 64 kernel bytes; copied, never shared
 */
public record VcpuEvents(byte[] bytes) {
    /** Size of {@code struct kvm_vcpu_events} in bytes. */
    public static final int SIZE = 64;
    /** Size of the compact encoding in bytes. */
    public static final int ENCODED_SIZE = SIZE;

    /** Validates the size and copies. */
    public VcpuEvents {
        if (bytes.length != SIZE) {
            throw new IllegalArgumentException("kvm_vcpu_events is " + SIZE + " bytes, got " + bytes.length);
        }
        bytes = bytes.clone();
    }

    /** A copy of the kernel bytes. */
    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The {@code flags} field (offset 20): which optional parts the kernel filled in. */
    public int flags() {
        return ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(20);
    }

    /** Compact encoding: the kernel bytes as they are. */
    public void encode(ByteBuffer out) {
        out.put(bytes);
    }

    /** Reads what {@link #encode} wrote. */
    public static VcpuEvents decode(ByteBuffer in) {
        byte[] b = new byte[SIZE];
        in.get(b);
        return new VcpuEvents(b);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VcpuEvents e && Arrays.equals(bytes, e.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "VcpuEvents[flags=0x" + Integer.toHexString(flags()) + "]";
    }
}
