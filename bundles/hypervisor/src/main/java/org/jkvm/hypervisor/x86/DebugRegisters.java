package org.jkvm.hypervisor.x86;

/**
 * The debug registers.
 *
 * @param dr0 breakpoint address 0
 * @param dr1 breakpoint address 1
 * @param dr2 breakpoint address 2
 * @param dr3 breakpoint address 3
 * @param dr6 debug status (reset 0xffff0ff0)
 * @param dr7 debug control (reset 0x400)
 */
public record DebugRegisters(long dr0, long dr1, long dr2, long dr3, long dr6, long dr7) {
    /** DR6 after reset. */
    public static final long DR6_RESET = 0xffff0ff0L;
    /** DR7 after reset. */
    public static final long DR7_RESET = 0x400L;

    /** The reset values. */
    public static DebugRegisters reset() {
        return new DebugRegisters(0, 0, 0, 0, DR6_RESET, DR7_RESET);
    }
}
