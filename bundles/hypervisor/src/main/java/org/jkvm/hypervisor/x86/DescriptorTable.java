package org.jkvm.hypervisor.x86;

/**
 * GDTR or IDTR: the linear base of a descriptor table and its limit.
 *
 * @param base  linear base address
 * @param limit the table's size in bytes minus one (0-0xffff)
 */
public record DescriptorTable(long base, int limit) {
    /** Validates the limit. */
    public DescriptorTable {
        if (limit < 0 || limit > 0xffff) {
            throw new IllegalArgumentException("descriptor table limit 0x" + Integer.toHexString(limit)
                    + " is not 16 bits");
        }
    }

    /** The reset value: base 0, limit 0xffff. */
    public static DescriptorTable reset() {
        return new DescriptorTable(0, 0xffff);
    }
}
