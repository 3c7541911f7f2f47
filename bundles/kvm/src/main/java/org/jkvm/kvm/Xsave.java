package org.jkvm.kvm;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The XSAVE area, {@code struct kvm_xsave}: 4096 bytes for {@code KVM_GET_XSAVE}, or the size reported by
 * {@code KVM_CHECK_EXTENSION(KVM_CAP_XSAVE2)} for {@code KVM_GET_XSAVE2}. Raw little-endian kernel bytes in the
 * XSAVE format of the Intel SDM (legacy region 0-511, header 512-575, extended components after).
 *
 * @param bytes the kernel bytes, at least 4096 and a multiple of 4; copied, never shared
 */
public record Xsave(byte[] bytes) {
    /** Size of the legacy {@code struct kvm_xsave} in bytes. */
    public static final int SIZE = 4096;
    /** Upper bound accepted by {@link #decode}, so a hostile stream cannot make us allocate more. */
    public static final int MAX_SIZE = 1 << 20;

    /** Validates the size and copies. */
    public Xsave {
        if (bytes.length < SIZE || bytes.length > MAX_SIZE || bytes.length % 4 != 0) {
            throw new IllegalArgumentException("kvm_xsave must be 4096.." + MAX_SIZE + " bytes, a multiple of 4; got "
                    + bytes.length);
        }
        bytes = bytes.clone();
    }

    /** A copy of the kernel bytes. */
    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** Size in bytes. */
    public int size() {
        return bytes.length;
    }

    /** Compact encoding: u32 length, then the kernel bytes, in the buffer's byte order. */
    public void encode(ByteBuffer out) {
        out.putInt(bytes.length).put(bytes);
    }

    /**
     * Reads what {@link #encode} wrote.
     *
     * @throws IllegalArgumentException when the length is out of range
     */
    public static Xsave decode(ByteBuffer in) {
        int length = in.getInt();
        if (length < SIZE || length > MAX_SIZE || length > in.remaining()) {
            throw new IllegalArgumentException("xsave length " + length + " is out of range 4096.." + MAX_SIZE
                    + " or longer than the " + in.remaining() + " bytes left");
        }
        byte[] b = new byte[length];
        in.get(b);
        return new Xsave(b);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Xsave x && Arrays.equals(bytes, x.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "Xsave[" + bytes.length + " bytes]";
    }
}
