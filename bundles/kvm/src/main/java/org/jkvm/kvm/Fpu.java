package org.jkvm.kvm;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The legacy FPU/SSE state, {@code struct kvm_fpu} (416 bytes), kept as raw little-endian kernel bytes: jkvm
 * saves and restores it without interpreting it.
 *
 * <pre>
 * offset   0 u8 fpr[8][16]   128 u16 fcw  130 u16 fsw  132 u8 ftwx  133 pad  134 u16 last_opcode
 *        136 u64 last_ip     144 u64 last_dp   152 u8 xmm[16][16]   408 u32 mxcsr  412 pad
 * </pre>
 *
 * @param bytes the 416 kernel bytes; copied, never shared
 */
public record Fpu(byte[] bytes) {
    /** Size of {@code struct kvm_fpu} in bytes. */
    public static final int SIZE = 416;
    /** Size of the compact encoding in bytes. */
    public static final int ENCODED_SIZE = SIZE;

    /** Validates the size and copies. */
    public Fpu {
        if (bytes.length != SIZE) {
            throw new IllegalArgumentException("kvm_fpu is " + SIZE + " bytes, got " + bytes.length);
        }
        bytes = bytes.clone();
    }

    /** A copy of the kernel bytes. */
    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The x87 control word (offset 128). */
    public int fcw() {
        return (bytes[128] & 0xff) | (bytes[129] & 0xff) << 8;
    }

    /** MXCSR (offset 408). */
    public int mxcsr() {
        return ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(408);
    }

    /** Compact encoding: the kernel bytes as they are. */
    public void encode(ByteBuffer out) {
        out.put(bytes);
    }

    /** Reads what {@link #encode} wrote. */
    public static Fpu decode(ByteBuffer in) {
        byte[] b = new byte[SIZE];
        in.get(b);
        return new Fpu(b);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Fpu f && Arrays.equals(bytes, f.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "Fpu[fcw=0x" + Integer.toHexString(fcw()) + ", mxcsr=0x" + Integer.toHexString(mxcsr()) + "]";
    }
}
