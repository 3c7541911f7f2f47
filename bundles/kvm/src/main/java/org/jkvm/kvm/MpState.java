package org.jkvm.kvm;

import java.nio.ByteBuffer;

/**
 * The vCPU's multiprocessing state, {@code struct kvm_mp_state} (one u32).
 *
 * @param state one of the {@code KVM_MP_STATE_*} constants
 */
public record MpState(int state) {
    /** Size of {@code struct kvm_mp_state} in bytes. */
    public static final int SIZE = 4;
    /** Size of the compact encoding in bytes. */
    public static final int ENCODED_SIZE = 4;
    /** {@code KVM_MP_STATE_RUNNABLE}. */
    public static final int RUNNABLE = 0;
    /** {@code KVM_MP_STATE_UNINITIALIZED} (an AP waiting for INIT). */
    public static final int UNINITIALIZED = 1;
    /** {@code KVM_MP_STATE_INIT_RECEIVED}. */
    public static final int INIT_RECEIVED = 2;
    /** {@code KVM_MP_STATE_HALTED} (HLT with an in-kernel LAPIC). */
    public static final int HALTED = 3;
    /** {@code KVM_MP_STATE_SIPI_RECEIVED}. */
    public static final int SIPI_RECEIVED = 4;

    /** Compact encoding at the buffer's position in the buffer's byte order. */
    public void encode(ByteBuffer out) {
        out.putInt(state);
    }

    /** Reads what {@link #encode} wrote. */
    public static MpState decode(ByteBuffer in) {
        return new MpState(in.getInt());
    }
}
