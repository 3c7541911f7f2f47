package org.jkvm.softcpu.oracle;

import java.util.List;

/**
 * One instruction case: bytes at {@link Layout#CODE_VA} + {@link Layout#INSN_OFFSET}, the places the code may end
 * at, the initial registers and RFLAGS, and patches over the batch's base image of the data area.
 *
 * @param seed     the run's seed (printed with every failure; with {@code index} it regenerates the case)
 * @param index    the case's number in its run
 * @param what     the generator's description, e.g. {@code "ADD r/m32,imm8 [base+index*4+disp8]"}
 * @param code     the instruction bytes (one instruction, or a few)
 * @param ends     offsets in the code area where the code may end (the fall-through point first); each holds a
 *                 HLT on the software CPU and a jump back into the trampoline on the host
 * @param gprs     the 16 general-purpose registers in encoding order (RAX RCX RDX RBX RSP RBP RSI RDI R8..R15)
 * @param rflags   the initial RFLAGS (bit 1 and IF set)
 * @param patches  bytes written over the base image before the case runs
 * @param flagMask the RFLAGS bits to compare when the case completes (the instruction's defined flags, see
 *                 {@link FlagRules})
 * @param faultFlagMask the RFLAGS bits to compare after an exception: all of {@link FlagRules#COMPARABLE} for one
 *                 instruction (a fault leaves RFLAGS as it was), fewer when an earlier instruction of the case
 *                 left some undefined
 * @param regMask  bit {@code i} set: compare register {@code i} (cleared only for results the manuals leave
 *                 undefined, e.g. BSF's destination when the source is zero)
 * @param upperUndefined bit {@code i} set: compare only bits 31:0 of register {@code i} (where Intel and AMD
 *                 differ in bits 63:32, e.g. the destination of a 32-bit CMPXCHG that fails)
 * @param fpu      the x87/SSE state the case starts from and how to compare it, or null (the default state, not
 *                 compared)
 */
public record OracleCase(long seed, int index, String what, byte[] code, int[] ends, long[] gprs, long rflags,
                         List<Patch> patches, long flagMask, long faultFlagMask, int regMask, int upperUndefined,
                         FpuCase fpu) {
    /** A case without x87/SSE state. */
    public OracleCase(long seed, int index, String what, byte[] code, int[] ends, long[] gprs, long rflags,
                      List<Patch> patches, long flagMask, long faultFlagMask, int regMask, int upperUndefined) {
        this(seed, index, what, code, ends, gprs, rflags, patches, flagMask, faultFlagMask, regMask, upperUndefined,
                null);
    }

    /** Register names in encoding order. */
    public static final String[] GPR_NAMES = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"};

    /** Validates the layout constraints both runners rely on. */
    public OracleCase {
        if (code.length == 0 || code.length > 255 || ends.length == 0 || ends.length > Layout.MAX_ENDS
                || gprs.length != 16) {
            throw new IllegalArgumentException("case " + index + " (" + what + "): " + code.length + " code bytes, "
                    + ends.length + " ends, " + gprs.length + " registers");
        }
        int start = Layout.INSN_OFFSET;
        for (int i = 0; i < ends.length; i++) {
            int e = ends[i];
            boolean overlapsCode = e < start + code.length && e + Layout.END_BYTES > start;
            if (e < Layout.FIRST_END_OFFSET || e + Layout.END_BYTES > Layout.CODE_SIZE || overlapsCode) {
                throw new IllegalArgumentException("case " + index + " (" + what + "): end 0x"
                        + Integer.toHexString(e) + " overlaps the code or leaves the code area");
            }
            for (int j = 0; j < i; j++) {
                if (Math.abs(ends[j] - e) < Layout.END_BYTES) {
                    throw new IllegalArgumentException("case " + index + " (" + what + "): ends 0x"
                            + Integer.toHexString(ends[j]) + " and 0x" + Integer.toHexString(e) + " overlap");
                }
            }
        }
        for (Patch p : patches) {
            if (p.offset() < 0 || p.offset() + p.bytes().length > Layout.DATA_SIZE || p.bytes().length > 255) {
                throw new IllegalArgumentException("case " + index + " (" + what + "): patch at 0x"
                        + Integer.toHexString(p.offset()) + " leaves the data area");
            }
        }
    }

    /** The linear address of the first instruction byte. */
    public long startRip() {
        return Layout.CODE_VA + Layout.INSN_OFFSET;
    }

    /**
     * Bytes written over the data area's base image before the case runs.
     *
     * @param offset offset in the data area
     * @param bytes  1-255 bytes
     */
    public record Patch(int offset, byte[] bytes) {
    }
}
