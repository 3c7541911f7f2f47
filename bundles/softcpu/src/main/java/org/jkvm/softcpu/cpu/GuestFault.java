package org.jkvm.softcpu.cpu;

/**
 * A guest exception raised while executing an instruction (#GP, #PF, #UD, ...): thrown out of the instruction and
 * caught by the run loop, which restores RIP to the faulting instruction and delivers it through the IDT. One
 * preallocated instance per vCPU, without a stack trace, so raising it allocates nothing.
 */
public final class GuestFault extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The exception vector (0-31). */
    public int vector;
    /** The error code, when {@link #hasError}. */
    public int error;
    /** Whether the exception pushes an error code. */
    public boolean hasError;
    /** For #PF: the faulting linear address (CR2 at delivery). */
    public long address;

    GuestFault() {
        super(null, null, false, false);
    }

    @Override
    public String getMessage() {
        return "guest exception " + vector + (hasError ? " error 0x" + Integer.toHexString(error) : "");
    }
}
