package org.jkvm.softcpu.oracle;

/** A ModRM r/m operand of an instruction the generator encodes: a register or a memory reference. */
public sealed interface Operand permits Operand.Reg, Operand.Mem {
    /** Register numbers with a name in {@link OracleCase#GPR_NAMES}. */
    int RSP = 4;
    /** The "base" value that means RIP-relative in {@link Mem}. */
    int RIP = 16;
    /** No base or no index in {@link Mem}. */
    int NONE = -1;

    /**
     * A general-purpose register.
     *
     * @param num  0-15 in encoding order; for a high-byte register the register whose bits 8-15 it is (0-3)
     * @param bits 8, 16, 32 or 64
     * @param high AH, CH, DH or BH (encoded as 4-7 without REX)
     */
    record Reg(int num, int bits, boolean high) implements Operand {
        /** A low register. */
        public static Reg of(int num, int bits) {
            return new Reg(num, bits, false);
        }

        /** The 3-bit field value (the REX bit is {@link #rexBit()}). */
        public int field() {
            return high ? num + 4 : num & 7;
        }

        /** The REX.R/X/B bit this register needs. */
        public int rexBit() {
            return num >> 3;
        }

        /** Whether the encoding must carry a REX prefix (SPL, BPL, SIL, DIL or R8-R15). */
        public boolean needsRex() {
            return num >= 8 || bits == 8 && !high && num >= 4;
        }

        /** The assembler name, e.g. {@code eax}, {@code r9w}, {@code ah}, {@code sil}. */
        public String name() {
            String[] b8 = {"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil"};
            String[] hi = {"ah", "ch", "dh", "bh"};
            String full = OracleCase.GPR_NAMES[num];
            if (num >= 8) {
                return full + (bits == 64 ? "" : bits == 32 ? "d" : bits == 16 ? "w" : "b");
            }
            return switch (bits) {
                case 8 -> high ? hi[num] : b8[num];
                case 16 -> full.substring(1);
                case 32 -> "e" + full.substring(1);
                default -> full;
            };
        }
    }

    /**
     * A memory reference {@code seg:[base + index * scale + disp]}.
     *
     * @param base      base register, {@link #NONE}, or {@link #RIP}
     * @param index     index register (not RSP), or {@link #NONE}
     * @param scale     1, 2, 4 or 8
     * @param disp      displacement (for RIP-relative: the target address; the encoder computes the
     *                  displacement from the instruction's end)
     * @param dispBytes 0, 1 or 4 (what the encoding carries)
     * @param forceSib  encode a SIB byte even where none is needed
     * @param addr32    67 prefix: 32-bit address arithmetic
     * @param gs        GS segment override
     * @param segNoise  a CS/DS/ES/SS override prefix (ignored in 64-bit mode) to emit, or 0
     */
    record Mem(int base, int index, int scale, long disp, int dispBytes, boolean forceSib, boolean addr32,
               boolean gs, int segNoise) implements Operand {
        /** Whether the encoding needs REX.X or REX.B. */
        public boolean needsRex() {
            return base >= 8 && base != RIP || index >= 8;
        }

        /** Assembler-like text, e.g. {@code gs:[rbx+r9*4+0x10]} or {@code [rip->0x200010]}. */
        public String text() {
            StringBuilder sb = new StringBuilder(gs ? "gs:[" : "[");
            String[] names = OracleCase.GPR_NAMES;
            if (base == RIP) {
                sb.append(addr32 ? "eip" : "rip").append("->0x").append(Long.toHexString(disp)).append(']');
                return sb.toString();
            }
            if (base != NONE) {
                sb.append(addr32 ? "e32:" : "").append(names[base]);
            }
            if (index != NONE) {
                sb.append(base != NONE ? "+" : "").append(names[index]).append('*').append(scale);
            }
            if (dispBytes != 0 || base == NONE && index == NONE) {
                sb.append(disp < 0 ? "-0x" : "+0x").append(Long.toHexString(Math.abs(disp)));
            }
            return sb.append(']').toString();
        }
    }
}
