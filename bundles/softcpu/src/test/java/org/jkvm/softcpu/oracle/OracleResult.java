package org.jkvm.softcpu.oracle;

/**
 * What one case did on one CPU.
 *
 * @param vector         -1 when the code reached one of its ends; else the exception vector (0 #DE, 3 #BP, 6 #UD,
 *                       12 #SS, 13 #GP, 14 #PF, 17 #AC), or {@link #NO_RESULT} when the CPU gave no answer
 *                       ({@code detail} says why)
 * @param endIndex       which end was reached (index into {@link OracleCase#ends()}), or -1
 * @param errorCode      the exception's error code (0 when it has none)
 * @param cr2            the faulting address of a #PF (meaningless otherwise)
 * @param rip            the end's address, or the RIP the exception reported (the faulting instruction; the
 *                       next instruction for #BP)
 * @param rflags         RFLAGS at the end or the exception
 * @param gprs           the registers at the end or the exception, in encoding order
 * @param changedOffsets the bytes the case changed: data-area offsets (against the case's initial image), and
 *                       {@link Layout#DATA_SIZE} + code-area offsets (against the code as the case started)
 * @param changedValues  the new values of those bytes
 * @param detail         why there is no result (for {@link #NO_RESULT}); else empty
 * @param fpu            the x87/SSE state at the end or the exception as a 512-byte FXSAVE image, or null when the
 *                       case has none
 */
public record OracleResult(int vector, int endIndex, long errorCode, long cr2, long rip, long rflags, long[] gprs,
                           int[] changedOffsets, byte[] changedValues, String detail, byte[] fpu) {
    /** A result without x87/SSE state. */
    public OracleResult(int vector, int endIndex, long errorCode, long cr2, long rip, long rflags, long[] gprs,
                        int[] changedOffsets, byte[] changedValues, String detail) {
        this(vector, endIndex, errorCode, cr2, rip, rflags, gprs, changedOffsets, changedValues, detail, null);
    }

    /** The vector of a result the CPU could not give (a failed or shut-down run, a timeout). */
    public static final int NO_RESULT = -2;

    /** Whether the code completed at one of its ends. */
    public boolean completed() {
        return vector == -1;
    }
}
