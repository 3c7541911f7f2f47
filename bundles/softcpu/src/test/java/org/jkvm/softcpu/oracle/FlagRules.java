package org.jkvm.softcpu.oracle;

/**
 * Which RFLAGS bits the oracle compares: the flags each instruction class defines. Flags an instruction leaves
 * unchanged count as defined (they must keep their input value); flags the Intel SDM vol. 2 or the AMD APM vol. 3
 * call "undefined" are not compared, because the software CPU's documented choice may differ from this host.
 *
 * <table>
 *   <caption>Undefined flags per class (everything else is compared)</caption>
 *   <tr><th>class</th><th>undefined</th></tr>
 *   <tr><td>ADD ADC SUB SBB CMP NEG INC DEC XADD CMPXCHG CMPS SCAS</td><td>none</td></tr>
 *   <tr><td>AND OR XOR TEST</td><td>AF</td></tr>
 *   <tr><td>MUL, IMUL (all forms)</td><td>SF ZF AF PF</td></tr>
 *   <tr><td>DIV IDIV</td><td>CF OF SF ZF AF PF (all six)</td></tr>
 *   <tr><td>SHL SHR SAR, masked count 0</td><td>none (nothing changes)</td></tr>
 *   <tr><td>SHL SHR SAR, masked count 1</td><td>AF</td></tr>
 *   <tr><td>SHL SHR SAR, masked count &gt; 1</td><td>AF OF; also CF for SHL/SHR when the count is at least the
 *       operand size (8- and 16-bit operands)</td></tr>
 *   <tr><td>ROL ROR RCL RCR, masked count 0</td><td>none</td></tr>
 *   <tr><td>ROL ROR RCL RCR, masked count 1 / &gt; 1</td><td>none / OF</td></tr>
 *   <tr><td>SHLD SHRD, masked count 0 / 1 / &gt; 1</td><td>none / AF / AF OF (16-bit counts above 16, whose
 *       result is undefined, are not generated)</td></tr>
 *   <tr><td>BT BTS BTR BTC</td><td>OF SF ZF AF PF (Intel: ZF unchanged; AMD: undefined)</td></tr>
 *   <tr><td>BSF BSR</td><td>CF OF SF AF PF; the destination too when the source is 0</td></tr>
 *   <tr><td>LZCNT TZCNT</td><td>OF SF AF PF</td></tr>
 *   <tr><td>POPCNT</td><td>none (all cleared but ZF)</td></tr>
 *   <tr><td>ANDN, BLSI, BLSMSK, BLSR, BZHI</td><td>AF PF</td></tr>
 *   <tr><td>BEXTR</td><td>AF SF PF</td></tr>
 *   <tr><td>PDEP PEXT RORX SARX SHLX SHRX MULX MOVBE ADCX ADOX</td><td>none (no flags, or only CF / only OF
 *       written)</td></tr>
 *   <tr><td>MOV*, XCHG, LEA, SETcc, CMOVcc, CBW..CQO, BSWAP, PUSH, POP, PUSHF, POPF, LAHF, SAHF, CLC STC CMC CLD
 *       STD, MOVS STOS LODS, CMPXCHG8B/16B, branches</td><td>none</td></tr>
 *   <tr><td>any class, when the instruction faults</td><td>none (a fault leaves RFLAGS as it was)</td></tr>
 * </table>
 *
 * <p>Registers are compared whole except: BSF/BSR's destination when the source is 0 (undefined in the Intel SDM;
 * AMD leaves it), and bits 63:32 of the destination register of a 32-bit CMPXCHG whose comparison fails (Intel
 * writes the old value back, which zero-extends it; AMD does not write it).</p>
 *
 * <p>Besides the six status flags the oracle compares DF, IF, NT, AC and ID ({@link #COMPARABLE}). TF is never
 * set (it would trap on the host's way back), IOPL stays 0 and IF stays 1 because the host runs the case at CPL 3
 * and the software CPU at CPL 0 (POPF cases pop only values that keep both). RF is not compared: the host kernel
 * reports it set in the state of a fault.
 */
public final class FlagRules {
    /** Carry. */
    public static final long CF = 1L;
    /** Parity. */
    public static final long PF = 1L << 2;
    /** Auxiliary carry. */
    public static final long AF = 1L << 4;
    /** Zero. */
    public static final long ZF = 1L << 6;
    /** Sign. */
    public static final long SF = 1L << 7;
    /** Trap. */
    public static final long TF = 1L << 8;
    /** Interrupt enable. */
    public static final long IF = 1L << 9;
    /** Direction. */
    public static final long DF = 1L << 10;
    /** Overflow. */
    public static final long OF = 1L << 11;
    /** Nested task. */
    public static final long NT = 1L << 14;
    /** Alignment check. */
    public static final long AC = 1L << 18;
    /** CPUID available (software-writable). */
    public static final long ID = 1L << 21;
    /** The six status flags. */
    public static final long STATUS = CF | PF | AF | ZF | SF | OF;
    /** Every bit the oracle may compare. */
    public static final long COMPARABLE = STATUS | DF | IF | NT | AC | ID;
    /** The bits a case's input RFLAGS may vary (the rest: bit 1 and IF set). */
    public static final long INPUT = STATUS | DF;
    /** RFLAGS bits that are always set in the input. */
    public static final long FIXED_INPUT = 0x202L;

    private FlagRules() {
    }

    /** The compare mask of an instruction that leaves {@code undefined} undefined. */
    public static long definedExcept(long undefined) {
        return COMPARABLE & ~undefined;
    }

    /**
     * The compare mask of SHL/SHR/SAR (opcode extension 4, 5, 7).
     *
     * @param ext         the ModRM reg field: 4 SHL, 5 SHR, 7 SAR
     * @param maskedCount the count after masking to 5 bits (6 for 64-bit operands)
     * @param bits        the operand size
     */
    public static long shift(int ext, int maskedCount, int bits) {
        if (maskedCount == 0) {
            return COMPARABLE;
        }
        long undefined = AF;
        if (maskedCount > 1) {
            undefined |= OF;
        }
        if (ext != 7 && maskedCount >= bits) {
            undefined |= CF;
        }
        return definedExcept(undefined);
    }

    /** The compare mask of ROL/ROR/RCL/RCR after masking the count. */
    public static long rotate(int maskedCount) {
        return maskedCount > 1 ? definedExcept(OF) : COMPARABLE;
    }

    /** The compare mask of SHLD/SHRD after masking the count. */
    public static long doubleShift(int maskedCount) {
        if (maskedCount == 0) {
            return COMPARABLE;
        }
        return definedExcept(maskedCount == 1 ? AF : AF | OF);
    }

    /** The flags SHL/SHR/SAR (ext 4, 5, 7) or ROL/ROR/RCL/RCR (ext 0-3) write for a masked count. */
    public static long shiftWritten(int ext, int maskedCount) {
        return maskedCount == 0 ? 0 : ext < 4 ? CF | OF : STATUS;
    }

    /** The undefined flags SHL/SHR/SAR (ext 4, 5, 7) or ROL/ROR/RCL/RCR (ext 0-3) leave for a masked count. */
    public static long shiftUndefined(int ext, int maskedCount, int bits) {
        return COMPARABLE & ~(ext < 4 ? rotate(maskedCount) : shift(ext, maskedCount, bits));
    }

    /** The undefined flags SHLD/SHRD leave for a masked count. */
    public static long doubleShiftUndefined(int maskedCount) {
        return COMPARABLE & ~doubleShift(maskedCount);
    }

    /** A readable list of the flags in {@code bits}, e.g. {@code "CF ZF"}. */
    public static String names(long bits) {
        StringBuilder sb = new StringBuilder();
        String[] names = {"CF", "", "PF", "", "AF", "", "ZF", "SF", "TF", "IF", "DF", "OF", "", "", "NT", "", "RF",
            "VM", "AC", "VIF", "VIP", "ID"};
        for (int i = 0; i < names.length; i++) {
            if ((bits & 1L << i) != 0 && !names[i].isEmpty()) {
                sb.append(sb.length() == 0 ? "" : " ").append(names[i]);
            }
        }
        return sb.toString();
    }
}
