package org.jkvm.kvm;

import java.util.Arrays;

/**
 * A vCPU's in-kernel local APIC, {@code struct kvm_lapic_state} (1024 bytes of {@code KVM_GET_LAPIC}/
 * {@code KVM_SET_LAPIC}): the xAPIC register page, each 32-bit register at its architectural offset (ID at 0x20 in
 * xAPIC form, bits 24-31, since jkvm does not enable {@code KVM_CAP_X2APIC_API}), with the timer's current count
 * at 0x390 as it read at the get.
 *
 * @param regs the 1024 bytes, little-endian; copied, never shared
 */
public record KvmLapicState(byte[] regs) {
    /** Size of {@code struct kvm_lapic_state} in bytes. */
    public static final int SIZE = 1024;

    /** Validates the size and copies. */
    public KvmLapicState {
        if (regs.length != SIZE) {
            throw new IllegalArgumentException("kvm_lapic_state is " + SIZE + " bytes, got " + regs.length);
        }
        regs = regs.clone();
    }

    /** A copy of the page. */
    @Override
    public byte[] regs() {
        return regs.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KvmLapicState s && Arrays.equals(regs, s.regs);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(regs);
    }

    @Override
    public String toString() {
        return "KvmLapicState[" + SIZE + " bytes]";
    }
}
