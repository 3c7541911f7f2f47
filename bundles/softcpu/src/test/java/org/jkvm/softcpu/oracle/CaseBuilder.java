package org.jkvm.softcpu.oracle;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Collects one case while a generator builds it: register values (random fillers until an operand claims them),
 * RFLAGS, data patches, the encoded bytes, extra ends and the compare masks. Registers are free, soft (an
 * operand's value: the address planner may reuse the register as a base and overwrite it) or pinned (the value
 * matters: a count, a pointer, an address register). Not thread-safe.
 */
final class CaseBuilder {
    /** Marks a case of a non-fault class that may legitimately raise an exception. */
    static final String MAY_FAULT = "[may fault]";
    private static final int FREE = 0;
    private static final int SOFT = 1;
    private static final int PINNED = 2;

    final SplittableRandom rnd;
    final CpuFeatures features;
    final long[] regs = new long[16];
    long rflags;
    private long defined = FlagRules.COMPARABLE;
    /** The flags defined at every instruction boundary so far: what a fault in any instruction leaves defined. */
    private long faultDefined = FlagRules.COMPARABLE;
    int regMask = 0xFFFF;
    int upperUndefined;
    private final long seed;
    private final int index;
    private final int[] state = new int[16];
    private final List<OracleCase.Patch> patches = new ArrayList<>();
    private final List<Integer> ends = new ArrayList<>();
    private final ByteArrayOutputStream code = new ByteArrayOutputStream();
    private final StringBuilder what = new StringBuilder();
    private final AddressPlanner planner;
    /** The x87/SSE state of the case, or null. */
    FpuCase fpu;
    private boolean rexUsed;
    private boolean highUsed;
    private int touched;
    private int clobbered;

    CaseBuilder(long seed, int index, CpuFeatures features) {
        this.seed = seed;
        this.index = index;
        this.features = features;
        this.rnd = new SplittableRandom(CaseGenerator.mix(seed, index));
        for (int i = 0; i < 16; i++) {
            regs[i] = Values.filler(rnd);
        }
        regs[Operand.RSP] = Layout.STACK_TOP - 8 * rnd.nextInt(64) - (rnd.nextInt(8) == 0 ? rnd.nextInt(8) : 0);
        rflags = rnd.nextLong() & FlagRules.INPUT | FlagRules.FIXED_INPUT;
        if (rnd.nextInt(4) != 0) {
            rflags &= ~FlagRules.DF;
        }
        planner = new AddressPlanner(this);
    }

    /** Appends to the case's description. */
    CaseBuilder say(String text) {
        what.append(what.length() == 0 || text.startsWith(" ") ? "" : " ").append(text);
        return this;
    }

    /** The linear address the next emitted instruction starts at. */
    long here() {
        return Layout.CODE_VA + Layout.INSN_OFFSET + code.size();
    }

    /** Encodes {@code asm} at {@link #here()} and appends it. */
    CaseBuilder emit(Asm asm) {
        byte[] bytes = asm.encode(here());
        if (bytes.length > 15) {
            // Prefixes, REX, SIB, disp32 and imm32 together can pass the 15-byte limit: #GP(0) on any x86.
            say(MAY_FAULT + " (" + bytes.length + " bytes)");
        }
        code.writeBytes(bytes);
        return this;
    }

    /** Appends raw bytes. */
    CaseBuilder emitBytes(int... bytes) {
        for (int b : bytes) {
            code.write(b);
        }
        return this;
    }

    /** Bytes emitted so far. */
    int codeLength() {
        return code.size();
    }

    /** Adds a landing place (offset in the code area) besides the fall-through point. */
    CaseBuilder end(int offset) {
        ends.add(offset);
        return this;
    }

    /** Whether register {@code num} may be claimed for an operand. */
    boolean claimable(int num) {
        return state[num] != PINNED;
    }

    /**
     * Whether register {@code num} may serve as an address register: an earlier instruction of the case may have
     * changed it, so its value at the start says nothing about the address.
     */
    boolean addressable(int num) {
        return (clobbered & 1 << num) == 0;
    }

    /** Whether register {@code num} is still free (no operand claimed it). */
    boolean free(int num) {
        return state[num] == FREE;
    }

    /**
     * Picks a register for an operand of {@code bits} bits: any not pinned, R8-R15 only when {@code rex},
     * AH..BH (as 8-bit registers without REX) only when {@code high}.
     */
    Operand.Reg pick(int bits, boolean rex, boolean high) {
        for (int tries = 0; ; tries++) {
            int num = rnd.nextInt(rex ? 16 : 8);
            if (!claimable(num) && tries < 100) {
                continue;
            }
            if (bits == 8 && high && num >= 4 && num < 8 && claimable(num - 4) && rnd.nextBoolean()) {
                return new Operand.Reg(num - 4, 8, true);
            }
            if (bits == 8 && !rex && num >= 4) {
                continue;
            }
            return Operand.Reg.of(num, bits);
        }
    }

    /** Sets the part of the register that {@code r} names to {@code value}; the rest keeps its filler bits. */
    CaseBuilder set(Operand.Reg r, long value) {
        if (state[r.num()] == PINNED) {
            throw new IllegalStateException("generator bug in case " + index + " (" + what + "): "
                    + OracleCase.GPR_NAMES[r.num()] + " is pinned");
        }
        touched |= 1 << r.num();
        int shift = r.high() ? 8 : 0;
        long m = Values.mask(r.bits()) << shift;
        regs[r.num()] = regs[r.num()] & ~m | (value << shift) & m;
        if (state[r.num()] == FREE) {
            state[r.num()] = SOFT;
        }
        return this;
    }

    /** Sets {@code r} to a generated operand value and returns it. */
    long setRandom(Operand.Reg r) {
        long v = Values.of(rnd, r.bits());
        set(r, v);
        return v;
    }

    /** The value of the part of the register {@code r} names. */
    long get(Operand.Reg r) {
        return regs[r.num()] >>> (r.high() ? 8 : 0) & Values.mask(r.bits());
    }

    /** Notes that the current instruction writes register {@code num} implicitly (MUL's RDX, LAHF's AH). */
    CaseBuilder touch(int num) {
        touched |= 1 << num;
        return this;
    }

    /** Sets all 64 bits of register {@code num} and pins it (the planner will not overwrite it). */
    CaseBuilder pin(int num, long value) {
        regs[num] = value;
        state[num] = PINNED;
        return this;
    }

    /** Pins register {@code num} at its current value. */
    CaseBuilder pin(int num) {
        state[num] = PINNED;
        return this;
    }

    /** Writes the low {@code bytes} (1-8) bytes of {@code value}, little-endian, at linear {@code va}. */
    CaseBuilder poke(long va, long value, int bytes) {
        byte[] b = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            b[i] = (byte) (value >>> (8 * i));
        }
        return pokeBytes(va, b);
    }

    /** Writes {@code bytes} at linear {@code va} in the data area. */
    CaseBuilder pokeBytes(long va, byte[] bytes) {
        if (!Layout.inData(va, bytes.length)) {
            throw new IllegalStateException("case " + index + ": data patch at 0x" + Long.toHexString(va)
                    + " outside the data area");
        }
        for (int off = 0; off < bytes.length; off += 255) {
            byte[] part = java.util.Arrays.copyOfRange(bytes, off, Math.min(bytes.length, off + 255));
            patches.add(new OracleCase.Patch((int) (va - Layout.DATA_VA) + off, part));
        }
        return this;
    }

    /** The bytes the patches so far put at {@code [va, va + size)} (zero where none did). */
    byte[] peek(long va, int size) {
        byte[] out = new byte[size];
        int off = (int) (va - Layout.DATA_VA);
        for (OracleCase.Patch p : patches) {
            for (int i = 0; i < p.bytes().length; i++) {
                int at = p.offset() + i - off;
                if (at >= 0 && at < size) {
                    out[at] = p.bytes()[i];
                }
            }
        }
        return out;
    }

    /** Fills {@code [va, va + bytes)} with generated values (random and edge). */
    CaseBuilder pokeRandom(long va, int bytes) {
        byte[] b = new byte[bytes];
        for (int i = 0; i < bytes; i += 8) {
            long v = Values.of(rnd, 64);
            for (int j = i; j < Math.min(bytes, i + 8); j++) {
                b[j] = (byte) (v >>> (8 * (j - i)));
            }
        }
        return pokeBytes(va, b);
    }

    /**
     * A data-area address for an access of {@code bytes}: often aligned, often next to a page boundary (so that
     * accesses cross it), otherwise anywhere.
     */
    long target(int bytes) {
        int span = Layout.DATA_SIZE - bytes;
        return switch (rnd.nextInt(4)) {
            case 0 -> Layout.DATA_VA + (rnd.nextInt(span + 1) & -Math.max(1, Integer.highestOneBit(bytes)));
            case 1 -> {
                int page = 0x1000 * (1 + rnd.nextInt(Layout.DATA_SIZE / 0x1000 - 1));
                yield Layout.DATA_VA + page - rnd.nextInt(bytes + 1);
            }
            default -> Layout.DATA_VA + rnd.nextInt(span + 1);
        };
    }

    /**
     * A memory operand addressing a fresh target of {@code bytes} bytes, filled with generated values.
     *
     * @param rex whether the instruction may use REX (false when it has a high-byte register operand)
     */
    Operand.Mem mem(int bytes, boolean rex) {
        long t = target(bytes);
        pokeRandom(t, bytes);
        return memAt(t, rex);
    }

    /** A memory operand addressing linear {@code va}, with the address registers it needs set and pinned. */
    Operand.Mem memAt(long va, boolean rex) {
        return planner.plan(va, rex);
    }

    /** Like {@link #memAt} but with the RIP-relative form excluded when {@code noRip}. */
    Operand.Mem memAt(long va, boolean rex, boolean noRip) {
        return planner.plan(va, rex, noRip);
    }

    /**
     * Records what the instruction just described does to the flags: it writes {@code written} (the flags it may
     * change), of which {@code undefined} get values the manuals leave undefined. Flags it leaves alone keep
     * whether they were defined, so a sequence composes: an INC after an AND keeps AND's CF.
     */
    CaseBuilder flags(long written, long undefined) {
        defined = defined & ~written | written & ~undefined;
        return this;
    }

    /** The flags whose values are defined after the instructions so far (the compare mask). */
    long definedFlags() {
        return defined;
    }

    /** Starts the operands of a new instruction (REX and high-byte registers are per instruction). */
    CaseBuilder next() {
        faultDefined &= defined;
        clobbered |= touched;
        touched = 0;
        rexUsed = false;
        highUsed = false;
        planner.rspBias = 0;
        return this;
    }

    /** Sets the bias the planner adds to RSP when RSP is a base (POP m: the address uses the popped RSP). */
    CaseBuilder rspBias(long bias) {
        planner.rspBias = bias;
        return this;
    }

    /** A uniformly chosen operand size: 8, 16, 32 or 64 (or from 16 when {@code noByte}). */
    int size(boolean noByte) {
        return noByte ? 16 << rnd.nextInt(3) : 8 << rnd.nextInt(4);
    }

    /**
     * Picks a register operand of {@code bits} bits for the current instruction, keeping REX and AH..BH apart
     * (an instruction with REX cannot name AH..BH), and gives it a generated value.
     */
    Operand.Reg reg(int bits) {
        Operand.Reg r = pick(bits, !highUsed, bits == 8 && !rexUsed);
        note(r, bits);
        setRandom(r);
        return r;
    }

    /** Like {@link #reg} but leaves the value alone (the caller sets it). */
    Operand.Reg regNoValue(int bits) {
        Operand.Reg r = pick(bits, !highUsed, bits == 8 && !rexUsed);
        note(r, bits);
        touched |= 1 << r.num();
        if (free(r.num())) {
            state[r.num()] = SOFT;
        }
        return r;
    }

    private void note(Operand.Reg r, int bits) {
        highUsed |= r.high();
        rexUsed |= r.needsRex() || bits == 64;
    }

    /** A register (with a value) or, with probability {@code memPercent}%, a memory operand of {@code bits}. */
    Operand rm(int bits, int memPercent) {
        if (rnd.nextInt(100) < memPercent) {
            Operand.Mem m = mem(bits / 8, !highUsed);
            rexUsed |= m.needsRex();
            return m;
        }
        return reg(bits);
    }

    /** Applies the operand size: 66 for 16 bits, REX.W for 64 (sometimes with a 66 that REX.W overrides). */
    Asm sized(Asm a, int bits) {
        if (bits == 16) {
            a.prefix(0x66);
        } else if (bits == 64) {
            if (rnd.nextInt(10) == 0) {
                a.prefix(0x66);
            }
            a.rexW();
            rexUsed = true;
        }
        return a;
    }

    /** Sometimes adds a REX prefix with no bits (harmless unless AH..BH are involved, where it is not allowed). */
    Asm maybeRex(Asm a) {
        if (!highUsed && rnd.nextInt(8) == 0) {
            a.rex();
            rexUsed = true;
        }
        return a;
    }

    /**
     * Runs the code so far {@code k} times: RCX = k and a LOOP back to the first instruction, so that a CPU that
     * caches or translates code executes it warm. Only where that keeps every result defined: RCX unused by the
     * case, no branch ends, and all flags and registers defined at the end (the next round reads them).
     *
     * @return whether the case was wrapped
     */
    boolean repeat(int k) {
        if (!free(1) || !ends.isEmpty() || defined != FlagRules.COMPARABLE || regMask != 0xFFFF
                || upperUndefined != 0 || code.size() > 120) {
            return false;
        }
        pin(1, k);
        emitBytes(0xE2, -(code.size() + 2) & 0xFF);
        // A later round may fault where the first did not (an address register the case overwrote).
        say("(x" + k + " in a LOOP) " + MAY_FAULT);
        return true;
    }

    /** Builds the case; the fall-through point is the first end. */
    OracleCase build() {
        int[] all = new int[ends.size() + 1];
        all[0] = Layout.INSN_OFFSET + code.size();
        for (int i = 0; i < ends.size(); i++) {
            all[i + 1] = ends.get(i);
        }
        return new OracleCase(seed, index, what.toString(), code.toByteArray(), all, regs.clone(), rflags,
                List.copyOf(patches), defined, faultDefined, regMask, upperUndefined, fpu);
    }
}
