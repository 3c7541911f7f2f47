package org.jkvm.hypervisor.pc;

/**
 * An I/O APIC (82093AA) with {@value #PINS} pins at its MMIO base (0xfec00000 on a PC).
 *
 * @param id          the I/O APIC id (IOAPICID bits 24-27)
 * @param ioregsel    the register selected through IOREGSEL
 * @param irr         the asserted pins as KVM reports them: level-triggered pins whose line is high, and edge pins
 *                    asserted and not yet delivered (e.g. masked); bit n = pin n. Remote IRR is in the entries.
 * @param redirection the redirection table, {@value #PINS} 64-bit entries (vector, delivery mode, destination
 *                    mode, delivery status, polarity, remote IRR, trigger mode, mask, destination), as the guest
 *                    reads them through IOREDTBL
 */
public record IoapicState(int id, int ioregsel, int irr, long[] redirection) {
    /** Number of pins. */
    public static final int PINS = 24;
    /** A masked redirection entry (reset value: bit 16 set). */
    public static final long MASKED = 1L << 16;

    /** Validates the table size and copies it. */
    public IoapicState {
        if (redirection.length != PINS) {
            throw new IllegalArgumentException("an I/O APIC has " + PINS + " redirection entries, got "
                    + redirection.length);
        }
        redirection = redirection.clone();
    }

    /** A copy of the redirection table. */
    @Override
    public long[] redirection() {
        return redirection.clone();
    }

    /** The state after reset: id 0, every pin masked. */
    public static IoapicState reset() {
        long[] r = new long[PINS];
        java.util.Arrays.fill(r, MASKED);
        return new IoapicState(0, 0, 0, r);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IoapicState s && id == s.id && ioregsel == s.ioregsel && irr == s.irr
                && java.util.Arrays.equals(redirection, s.redirection);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(redirection) * 31 + id + 7 * irr;
    }
}
