package org.jkvm.hypervisor.x86;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The x87, SSE and extended register state in the standard (non-compacted) XSAVE format of the Intel SDM
 * vol. 1, 13.4: the legacy FXSAVE region (bytes 0-511: FCW at 0, FSW at 2, abridged FTW at 4, MXCSR at 24,
 * ST0-7 from 32, XMM0-15 from 160), the XSAVE header (512-575: XSTATE_BV at 512, XCOMP_BV at 520), then the
 * extended components at the offsets CPUID leaf 0xD reports (AVX's upper halves at 576). Little-endian.
 *
 * @param bytes at least 576 bytes, a multiple of 64; copied in and out
 */
public record XsaveArea(byte[] bytes) {
    /** The legacy region plus the header: the smallest area. */
    public static final int MIN_SIZE = 576;
    /** The largest area accepted (a hostile stream must not make us allocate more). */
    public static final int MAX_SIZE = 1 << 20;
    /** The size KVM's {@code struct kvm_xsave} has without {@code KVM_CAP_XSAVE2}. */
    public static final int KVM_SIZE = 4096;
    /** The x87 control word after FNINIT / reset (all exceptions masked, 64-bit precision). */
    public static final int FCW_DEFAULT = 0x037f;
    /** MXCSR after reset (all exceptions masked). */
    public static final int MXCSR_DEFAULT = 0x1f80;

    /** Validates the size and copies. */
    public XsaveArea {
        if (bytes.length < MIN_SIZE || bytes.length > MAX_SIZE || bytes.length % 64 != 0) {
            throw new IllegalArgumentException("an XSAVE area must be " + MIN_SIZE + ".." + MAX_SIZE
                    + " bytes and a multiple of 64, got " + bytes.length);
        }
        bytes = bytes.clone();
    }

    /** The state after reset (or FNINIT plus the MXCSR default), in an area of {@code size} bytes. */
    public static XsaveArea reset(int size) {
        byte[] b = new byte[size];
        ByteBuffer le = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        le.putShort(0, (short) FCW_DEFAULT);
        le.putInt(24, MXCSR_DEFAULT);
        le.putInt(28, 0xffff); // MXCSR_MASK: every MXCSR bit up to DAZ is writable
        return new XsaveArea(b);
    }

    /** A copy of the bytes. */
    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The size in bytes. */
    public int size() {
        return bytes.length;
    }

    /** The x87 control word. */
    public int fcw() {
        return (bytes[0] & 0xff) | (bytes[1] & 0xff) << 8;
    }

    /** MXCSR. */
    public int mxcsr() {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(24);
    }

    /** XSTATE_BV: which components hold non-initial state. */
    public long xstateBv() {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(512);
    }

    /** The same state in an area of {@code size} bytes: truncated components must be in their initial state. */
    public XsaveArea resized(int size) {
        return new XsaveArea(Arrays.copyOf(bytes, size));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof XsaveArea x && Arrays.equals(bytes, x.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "XsaveArea[" + bytes.length + " bytes, fcw=0x" + Integer.toHexString(fcw()) + ", mxcsr=0x"
                + Integer.toHexString(mxcsr()) + "]";
    }
}
