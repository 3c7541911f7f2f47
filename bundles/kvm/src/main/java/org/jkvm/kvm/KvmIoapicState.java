package org.jkvm.kvm;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The in-kernel I/O APIC, {@code struct kvm_ioapic_state} (216 bytes), the payload of {@code struct kvm_irqchip}
 * for chip 2.
 *
 * <pre>
 * offset 0 u64 base_address  8 u32 ioregsel  12 u32 id  16 u32 irr  20 u32 pad
 *       24 u64 redirtbl[24]   (little-endian)
 * </pre>
 *
 * @param baseAddress the MMIO base (0xfec00000)
 * @param ioregsel    the selected register
 * @param id          the I/O APIC id (0-15, not shifted)
 * @param irr         asserted pins: level pins while their line is high, edge pins until delivered
 * @param redirtbl    the 24 redirection entries; copied, never shared
 */
public record KvmIoapicState(long baseAddress, int ioregsel, int id, int irr, long[] redirtbl) {
    /** Size of {@code struct kvm_ioapic_state} in bytes. */
    public static final int SIZE = 24 + 24 * 8;
    /** Number of pins of KVM's I/O APIC. */
    public static final int PINS = 24;

    /** Validates and copies the table. */
    public KvmIoapicState {
        if (redirtbl.length != PINS) {
            throw new IllegalArgumentException("kvm_ioapic_state has " + PINS + " entries, got " + redirtbl.length);
        }
        redirtbl = redirtbl.clone();
    }

    /** A copy of the redirection table. */
    @Override
    public long[] redirtbl() {
        return redirtbl.clone();
    }

    /** Reads the kernel layout at {@code offset} of a little-endian buffer. */
    public static KvmIoapicState read(ByteBuffer le, int offset) {
        long[] t = new long[PINS];
        for (int i = 0; i < PINS; i++) {
            t[i] = le.getLong(offset + 24 + 8 * i);
        }
        return new KvmIoapicState(le.getLong(offset), le.getInt(offset + 8), le.getInt(offset + 12),
                le.getInt(offset + 16), t);
    }

    /** Writes the kernel layout at {@code offset} of a little-endian buffer (pad zeroed). */
    public void write(ByteBuffer le, int offset) {
        le.putLong(offset, baseAddress).putInt(offset + 8, ioregsel).putInt(offset + 12, id)
                .putInt(offset + 16, irr).putInt(offset + 20, 0);
        for (int i = 0; i < PINS; i++) {
            le.putLong(offset + 24 + 8 * i, redirtbl[i]);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KvmIoapicState s && baseAddress == s.baseAddress && ioregsel == s.ioregsel && id == s.id
                && irr == s.irr && Arrays.equals(redirtbl, s.redirtbl);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(redirtbl) * 31 + Long.hashCode(baseAddress) + ioregsel + 7 * id + 13 * irr;
    }

    @Override
    public String toString() {
        return "KvmIoapicState[base=0x" + Long.toHexString(baseAddress) + ", id=" + id + ", irr=0x"
                + Integer.toHexString(irr) + "]";
    }
}
