package org.jkvm.kvm;

import java.nio.ByteBuffer;

/**
 * One CPUID leaf, {@code struct kvm_cpuid_entry2} (40 bytes).
 *
 * <pre>
 * offset 0 u32 function  4 u32 index  8 u32 flags  12 u32 eax  16 ebx  20 ecx  24 edx  28 u32 padding[3]
 * </pre>
 *
 * @param function the leaf (EAX input)
 * @param index    the sub-leaf (ECX input), meaningful when {@code flags} has {@link #FLAG_SIGNIFCANT_INDEX}
 * @param flags    {@code KVM_CPUID_FLAG_*}
 * @param eax      EAX output
 * @param ebx      EBX output
 * @param ecx      ECX output
 * @param edx      EDX output
 */
public record CpuidEntry(int function, int index, int flags, int eax, int ebx, int ecx, int edx) {
    /** Size of {@code struct kvm_cpuid_entry2} in bytes. */
    public static final int SIZE = 40;
    /** Size of the compact encoding in bytes. */
    public static final int ENCODED_SIZE = 28;
    /** {@code KVM_CPUID_FLAG_SIGNIFCANT_INDEX} (sic, as spelled in kvm.h): the sub-leaf matters. */
    public static final int FLAG_SIGNIFCANT_INDEX = 1;

    /** Reads the kernel layout at {@code offset} of a little-endian buffer. */
    public static CpuidEntry read(ByteBuffer le, int offset) {
        return new CpuidEntry(le.getInt(offset), le.getInt(offset + 4), le.getInt(offset + 8),
                le.getInt(offset + 12), le.getInt(offset + 16), le.getInt(offset + 20), le.getInt(offset + 24));
    }

    /** Writes the kernel layout at {@code offset} of a little-endian buffer (padding zeroed). */
    public void write(ByteBuffer le, int offset) {
        le.putInt(offset, function).putInt(offset + 4, index).putInt(offset + 8, flags).putInt(offset + 12, eax)
                .putInt(offset + 16, ebx).putInt(offset + 20, ecx).putInt(offset + 24, edx)
                .putInt(offset + 28, 0).putInt(offset + 32, 0).putInt(offset + 36, 0);
    }

    /** Copy with other output registers. */
    public CpuidEntry withOutputs(int newEax, int newEbx, int newEcx, int newEdx) {
        return new CpuidEntry(function, index, flags, newEax, newEbx, newEcx, newEdx);
    }

    /** Compact encoding at the buffer's position in the buffer's byte order. */
    public void encode(ByteBuffer out) {
        out.putInt(function).putInt(index).putInt(flags).putInt(eax).putInt(ebx).putInt(ecx).putInt(edx);
    }

    /** Reads what {@link #encode} wrote. */
    public static CpuidEntry decode(ByteBuffer in) {
        return new CpuidEntry(in.getInt(), in.getInt(), in.getInt(), in.getInt(), in.getInt(), in.getInt(),
                in.getInt());
    }

    @Override
    public String toString() {
        return String.format("CpuidEntry[0x%x/%d flags=%d eax=0x%x ebx=0x%x ecx=0x%x edx=0x%x]", function, index,
                flags, eax, ebx, ecx, edx);
    }
}
