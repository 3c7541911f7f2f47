package org.jkvm.softcpu.oracle;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Encodes one x86-64 instruction (Intel SDM vol. 2, chapter 2): legacy prefixes, REX or a 3-byte VEX prefix, the
 * opcode, ModRM/SIB/displacement for an {@link Operand} and an immediate. Not thread-safe; one per instruction.
 */
final class Asm {
    private final List<Integer> prefixes = new ArrayList<>();
    private final ByteArrayOutputStream opcode = new ByteArrayOutputStream();
    private boolean rexW;
    private boolean forceRex;
    private int regField = -1;
    private int regRex;
    private Operand rm;
    private int opReg = -1;
    private int regRexB;
    private boolean hasHigh;
    private long imm;
    private int immBytes;
    private int vexMap = -1;
    private int vexPp;
    private int vexVvvv;

    /** Adds a legacy prefix byte (emitted in call order, before the memory operand's own prefixes). */
    Asm prefix(int p) {
        prefixes.add(p);
        return this;
    }

    /** Adds a legacy prefix byte before all others added so far (LOCK, REP). */
    Asm prefixFirst(int p) {
        prefixes.add(0, p);
        return this;
    }

    /** Sets REX.W (64-bit operand size; VEX.W under {@link #vex}). */
    Asm rexW() {
        rexW = true;
        return this;
    }

    /** Emits a REX prefix even when no bit of it is needed (it changes AH..BH into SPL..DIL). */
    Asm rex() {
        forceRex = true;
        return this;
    }

    /** Appends opcode bytes. */
    Asm op(int... bytes) {
        for (int b : bytes) {
            opcode.write(b);
        }
        return this;
    }

    /** Puts register {@code r} in the low 3 bits of the last opcode byte (REX.B for R8-R15), as in B8+r. */
    Asm opReg(Operand.Reg r) {
        opReg = r.field();
        regRexB = r.rexBit();
        forceRex |= r.needsRex();
        return this;
    }

    /** ModRM.reg holds register {@code r}. */
    Asm reg(Operand.Reg r) {
        regField = r.field();
        regRex = r.rexBit();
        forceRex |= r.needsRex();
        hasHigh |= r.high();
        return this;
    }

    /** ModRM.reg holds the opcode extension {@code digit} (the "/digit" of the manuals). */
    Asm ext(int digit) {
        regField = digit;
        regRex = 0;
        return this;
    }

    /** The ModRM r/m operand. */
    Asm rm(Operand o) {
        rm = o;
        if (o instanceof Operand.Reg r) {
            forceRex |= r.needsRex();
            hasHigh |= r.high();
        }
        return this;
    }

    /** An immediate of {@code bytes} (1, 2, 4 or 8) bytes. */
    Asm imm(long value, int bytes) {
        imm = value;
        immBytes = bytes;
        return this;
    }

    /**
     * Uses a 3-byte VEX prefix instead of REX and the 0F escape bytes (the opcode bytes then hold only the opcode).
     *
     * @param map  1 = 0F, 2 = 0F38, 3 = 0F3A
     * @param pp   implied prefix: 0 none, 1 = 66, 2 = F3, 3 = F2
     * @param vvvv the register of VEX.vvvv (0 when unused)
     */
    Asm vex(int map, int pp, int vvvv) {
        vexMap = map;
        vexPp = pp;
        vexVvvv = vvvv;
        return this;
    }

    /** Whether the instruction uses a register that needs REX while a high-byte register forbids it. */
    boolean conflicts() {
        boolean needs = rexW || forceRex || regRex != 0 || regRexB != 0
                || rm instanceof Operand.Reg r && r.rexBit() != 0 || rm instanceof Operand.Mem m && m.needsRex();
        return hasHigh && needs;
    }

    /**
     * The encoded bytes for an instruction starting at linear address {@code address} (RIP-relative displacements
     * are taken from its end).
     */
    byte[] encode(long address) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        prefixes.forEach(out::write);
        Operand.Mem mem = rm instanceof Operand.Mem m ? m : null;
        if (mem != null) {
            if (mem.segNoise() != 0) {
                out.write(mem.segNoise());
            }
            if (mem.gs()) {
                out.write(0x65);
            }
            if (mem.addr32()) {
                out.write(0x67);
            }
        }
        int x = mem != null && mem.index() >= 8 ? 1 : 0;
        int b = regRexB;
        if (mem != null && mem.base() >= 8 && mem.base() != Operand.RIP) {
            b = 1;
        } else if (rm instanceof Operand.Reg r) {
            b = r.rexBit();
        }
        if (vexMap >= 0) {
            out.write(0xC4);
            out.write((regRex ^ 1) << 7 | (x ^ 1) << 6 | (b ^ 1) << 5 | vexMap);
            out.write((rexW ? 1 : 0) << 7 | (~vexVvvv & 15) << 3 | vexPp);
        } else if (rexW || forceRex || regRex != 0 || x != 0 || b != 0) {
            out.write(0x40 | (rexW ? 8 : 0) | regRex << 2 | x << 1 | b);
        }
        byte[] ops = opcode.toByteArray();
        if (opReg >= 0) {
            ops[ops.length - 1] += (byte) opReg;
        }
        out.writeBytes(ops);
        int ripDispAt = -1;
        if (rm != null) {
            ripDispAt = modrm(out, mem);
        }
        for (int i = 0; i < immBytes; i++) {
            out.write((int) (imm >>> (8 * i)));
        }
        byte[] bytes = out.toByteArray();
        if (ripDispAt >= 0) {
            long disp = mem.disp() - (address + bytes.length);
            for (int i = 0; i < 4; i++) {
                bytes[ripDispAt + i] = (byte) (disp >>> (8 * i));
            }
        }
        return bytes;
    }

    /** Writes ModRM, SIB and displacement; returns where a RIP-relative displacement goes, else -1. */
    private int modrm(ByteArrayOutputStream out, Operand.Mem mem) {
        int reg = (regField & 7) << 3;
        if (mem == null) {
            out.write(0xC0 | reg | ((Operand.Reg) rm).field());
            return -1;
        }
        if (mem.base() == Operand.RIP) {
            out.write(reg | 5);
            int at = out.size();
            out.writeBytes(new byte[4]);
            return at;
        }
        int scaleBits = Integer.numberOfTrailingZeros(mem.scale()) << 6;
        int indexField = mem.index() == Operand.NONE ? 4 : mem.index() & 7;
        if (mem.base() == Operand.NONE) {
            out.write(reg | 4);
            out.write(scaleBits | indexField << 3 | 5);
            writeDisp(out, mem.disp(), 4);
            return -1;
        }
        int dispBytes = mem.dispBytes();
        if (dispBytes == 0 && (mem.base() & 7) == 5) {
            throw new IllegalStateException("RBP/R13 as a base needs a displacement byte");
        }
        int mod = dispBytes == 0 ? 0 : dispBytes == 1 ? 0x40 : 0x80;
        boolean sib = mem.forceSib() || mem.index() != Operand.NONE || (mem.base() & 7) == 4;
        out.write(mod | reg | (sib ? 4 : mem.base() & 7));
        if (sib) {
            out.write(scaleBits | indexField << 3 | mem.base() & 7);
        }
        writeDisp(out, mem.disp(), dispBytes);
        return -1;
    }

    private static void writeDisp(ByteArrayOutputStream out, long disp, int bytes) {
        for (int i = 0; i < bytes; i++) {
            out.write((int) (disp >>> (8 * i)));
        }
    }
}
