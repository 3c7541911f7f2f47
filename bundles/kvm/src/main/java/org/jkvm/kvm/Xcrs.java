package org.jkvm.kvm;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The extended control registers, {@code struct kvm_xcrs} (392 bytes).
 *
 * <pre>
 * offset 0 u32 nr_xcrs  4 u32 flags  8 kvm_xcr xcrs[16] {u32 xcr, u32 reserved, u64 value}  264 u64 padding[16]
 * </pre>
 *
 * @param xcrs  the registers (XCR0 is the only one defined today), at most 16
 * @param flags kernel flags (0)
 */
public record Xcrs(List<Xcr> xcrs, int flags) {
    /** Size of {@code struct kvm_xcrs} in bytes. */
    public static final int SIZE = 392;
    /** Most registers {@code struct kvm_xcrs} holds ({@code KVM_MAX_XCRS}). */
    public static final int MAX = 16;
    /** Largest compact encoding in bytes (16 registers). */
    public static final int MAX_ENCODED_SIZE = 8 + MAX * 12;

    /**
     * One extended control register.
     *
     * @param xcr   its number (0 for XCR0)
     * @param value its value
     */
    public record Xcr(int xcr, long value) {
    }

    /** Validates the count and copies the list. */
    public Xcrs {
        if (xcrs.size() > MAX) {
            throw new IllegalArgumentException("kvm_xcrs holds at most " + MAX + " registers, got " + xcrs.size());
        }
        xcrs = List.copyOf(xcrs);
    }

    /** Reads the kernel layout at {@code offset} of a little-endian buffer. */
    public static Xcrs read(ByteBuffer le, int offset) {
        int n = Math.min(le.getInt(offset), MAX);
        List<Xcr> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(new Xcr(le.getInt(offset + 8 + 16 * i), le.getLong(offset + 16 + 16 * i)));
        }
        return new Xcrs(list, le.getInt(offset + 4));
    }

    /** Writes the kernel layout at {@code offset} of a little-endian buffer (unused entries zeroed). */
    public void write(ByteBuffer le, int offset) {
        for (int i = 0; i < SIZE; i += 8) {
            le.putLong(offset + i, 0L);
        }
        le.putInt(offset, xcrs.size()).putInt(offset + 4, flags);
        for (int i = 0; i < xcrs.size(); i++) {
            le.putInt(offset + 8 + 16 * i, xcrs.get(i).xcr()).putLong(offset + 16 + 16 * i, xcrs.get(i).value());
        }
    }

    /** Compact encoding: u32 count, u32 flags, then (u32 xcr, u64 value) per register. */
    public void encode(ByteBuffer out) {
        out.putInt(xcrs.size()).putInt(flags);
        for (Xcr x : xcrs) {
            out.putInt(x.xcr()).putLong(x.value());
        }
    }

    /**
     * Reads what {@link #encode} wrote.
     *
     * @throws IllegalArgumentException when the count is above 16
     */
    public static Xcrs decode(ByteBuffer in) {
        int n = in.getInt();
        int flags = in.getInt();
        if (n < 0 || n > MAX) {
            throw new IllegalArgumentException("xcrs count " + n + " is out of range 0.." + MAX);
        }
        List<Xcr> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(new Xcr(in.getInt(), in.getLong()));
        }
        return new Xcrs(list, flags);
    }
}
