package org.jkvm.softcpu.oracle;

/**
 * The fixed linear addresses every oracle case uses, the same on the host (user-space mappings of the native
 * harness) and on the software CPU (identity-mapped guest pages): the code area, the data area the memory operands
 * and the stack point into, and the GS base.
 *
 * <pre>
 *   CODE_VA  +0x0000  8 pointer slots (the host's end stubs jump through them; never executed)
 *            +0x0040  free: branch targets and end stubs
 *            +0x2000  the case's instruction bytes ({@link #INSN_OFFSET})
 *            +0x4000  end of the code area (everything not written by a case is HLT, 0xF4)
 *   DATA_VA  +0x0000  data area: memory operands; the stack usually near {@link #STACK_TOP}
 *            +0x4000  end (the pages on either side are unmapped on both sides)
 *   GS_BASE           the GS segment base (below DATA_VA, so a GS-relative operand lands in the data area only
 *                     when the base is added)
 * </pre>
 */
public final class Layout {
    /** Linear (and, on the software CPU, physical) address of the code area. */
    public static final long CODE_VA = 0x100000L;
    /** Size of the code area in bytes. */
    public static final int CODE_SIZE = 0x4000;
    /** Offset of the instruction under test in the code area. */
    public static final int INSN_OFFSET = 0x2000;
    /** The first offset an end stub or branch target may use (below are the host's pointer slots). */
    public static final int FIRST_END_OFFSET = 0x40;
    /** Bytes an end needs: the host's stub is {@code jmp *slot(%rip)}, 6 bytes; the guest's is one HLT. */
    public static final int END_BYTES = 6;
    /** The most ends (landing places) a case may have. */
    public static final int MAX_ENDS = 8;
    /** Linear (and physical) address of the data area. */
    public static final long DATA_VA = 0x200000L;
    /** Size of the data area in bytes. */
    public static final int DATA_SIZE = 0x4000;
    /** The default top of the stack (RSP starts a little below it). */
    public static final long STACK_TOP = DATA_VA + 0x3800;
    /** The GS segment base on both sides. */
    public static final long GS_BASE = DATA_VA - 0x10000;
    /** HLT: what the code area holds where the case wrote nothing. */
    public static final byte HLT = (byte) 0xF4;

    private Layout() {
    }

    /** Whether {@code [va, va + size)} lies inside the data area. */
    public static boolean inData(long va, int size) {
        return va >= DATA_VA && va + size <= DATA_VA + DATA_SIZE && size >= 0;
    }
}
