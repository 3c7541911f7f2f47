package org.jkvm.hypervisor.x86;

/**
 * Events in flight between two instructions: an exception or interrupt whose delivery has started (it must be
 * delivered again after a restore, before the next instruction), an external interrupt raised but not yet
 * accepted, the NMI state and the one-instruction interrupt shadow of STI and MOV SS.
 *
 * @param exception          the pending or in-delivery exception, or null
 * @param injectedInterrupt  the vector of an external or software interrupt whose delivery started, or -1
 * @param injectedSoft       whether {@code injectedInterrupt} came from INT n (then RIP is after the instruction)
 * @param pendingInterrupt   the vector of an external interrupt raised but not yet accepted (the INTR line), or -1
 * @param nmiPending         an NMI waits to be delivered
 * @param nmiInjected        an NMI's delivery started
 * @param nmiMasked          NMIs are blocked (an NMI handler runs until its IRET)
 * @param stiShadow          the previous instruction was an STI that set IF: no interrupt before the next one ends
 * @param movSsShadow        the previous instruction loaded SS (MOV/POP SS): no interrupt or debug trap before the
 *                           next one ends
 */
public record PendingEvents(ExceptionEvent exception, int injectedInterrupt, boolean injectedSoft,
                            int pendingInterrupt, boolean nmiPending, boolean nmiInjected, boolean nmiMasked,
                            boolean stiShadow, boolean movSsShadow) {
    /** Validates the vectors. */
    public PendingEvents {
        if (injectedInterrupt < -1 || injectedInterrupt > 255 || pendingInterrupt < -1 || pendingInterrupt > 255) {
            throw new IllegalArgumentException("interrupt vectors must be -1 (none) or 0-255, got "
                    + injectedInterrupt + " and " + pendingInterrupt);
        }
    }

    /** Nothing pending, nothing masked. */
    public static PendingEvents none() {
        return new PendingEvents(null, -1, false, -1, false, false, false, false, false);
    }

    /** Whether nothing at all is in flight or blocked. */
    public boolean isEmpty() {
        return equals(none());
    }

    /**
     * An exception between two instructions.
     *
     * @param vector       0-31
     * @param injected     true when its delivery has started (re-deliver before the next instruction); false when
     *                     it is pending (raised, not yet delivered)
     * @param hasErrorCode whether the exception pushes an error code
     * @param errorCode    the error code (0 when none)
     * @param hasPayload   whether {@code payload} must be applied at delivery (CR2 for #PF, DR6 bits for #DB)
     * @param payload      the payload
     */
    public record ExceptionEvent(int vector, boolean injected, boolean hasErrorCode, int errorCode,
                                 boolean hasPayload, long payload) {
        /** Validates the vector. */
        public ExceptionEvent {
            if (vector < 0 || vector > 31) {
                throw new IllegalArgumentException("exception vector " + vector + " is not 0-31");
            }
        }
    }
}
