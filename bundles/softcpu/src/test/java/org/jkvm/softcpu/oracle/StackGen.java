package org.jkvm.softcpu.oracle;

/**
 * PUSH and POP (50+r/58+r with REX.B, 16-bit forms, imm8/imm16/imm32, r/m including RSP-relative memory, where
 * POP computes the address after incrementing RSP, PUSH RSP and POP RSP), PUSHF/POPF (64- and 16-bit; the popped
 * values vary every flag user mode may change, keep IF=1 and IOPL=0, and carry random ignored bits), ENTER with
 * nesting levels 0-4 and LEAVE.
 */
final class StackGen implements Generator {
    @Override
    public String name() {
        return "STACK";
    }

    @Override
    public void generate(CaseBuilder b) {
        long rsp = b.regs[Operand.RSP];
        b.pin(Operand.RSP, rsp);
        b.pokeRandom(rsp - 16, 32);
        boolean word = b.rnd.nextInt(5) == 0;
        int kind = b.rnd.nextInt(100);
        if (kind < 20) {
            push(b, word);
        } else if (kind < 40) {
            pop(b, word);
        } else if (kind < 50) {
            pushImm(b, word);
        } else if (kind < 72) {
            flags(b, word);
        } else {
            enterLeave(b, word);
        }
    }

    private static Asm sized(boolean word) {
        Asm a = new Asm();
        return word ? a.prefix(0x66) : a;
    }

    private static void push(CaseBuilder b, boolean word) {
        int bits = word ? 16 : 64;
        Asm a = sized(word);
        if (b.rnd.nextBoolean()) {
            Operand.Reg r = b.rnd.nextInt(8) == 0 ? Operand.Reg.of(Operand.RSP, bits) : b.reg(bits);
            a.op(0x50).opReg(r);
            b.say("PUSH " + r.name());
        } else {
            Operand rm = b.rm(bits, 70);
            a.op(0xFF).ext(6).rm(rm);
            b.say("PUSH " + Generator.text(rm));
        }
        b.emit(b.maybeRex(a));
    }

    private static void pop(CaseBuilder b, boolean word) {
        int bits = word ? 16 : 64;
        Asm a = sized(word);
        if (b.rnd.nextBoolean()) {
            Operand.Reg r = b.rnd.nextInt(8) == 0 ? Operand.Reg.of(Operand.RSP, bits) : b.reg(bits);
            a.op(0x58).opReg(r);
            b.say("POP " + r.name());
        } else {
            b.rspBias(bits / 8);
            Operand rm = b.rm(bits, 70);
            a.op(0x8F).ext(0).rm(rm);
            b.say("POP " + Generator.text(rm));
        }
        b.emit(b.maybeRex(a));
    }

    private static void pushImm(CaseBuilder b, boolean word) {
        Asm a = sized(word);
        if (b.rnd.nextBoolean()) {
            a.op(0x6A).imm(Values.of(b.rnd, 8), 1);
            b.say("PUSH imm8" + (word ? " (16-bit)" : ""));
        } else {
            int bytes = word ? 2 : 4;
            a.op(0x68).imm(Values.of(b.rnd, bytes * 8), bytes);
            b.say("PUSH imm" + bytes * 8);
        }
        b.emit(a);
    }

    private static void flags(CaseBuilder b, boolean word) {
        Asm a = sized(word);
        if (b.rnd.nextInt(3) == 0) {
            b.say(word ? "PUSHF (16-bit)" : "PUSHFQ").emit(a.op(0x9C));
            return;
        }
        // User mode may change the status flags, DF, NT, AC and ID; IF and IOPL must stay as they are (IF=1, IOPL=0)
        // because the host runs at CPL 3, where POPF ignores them, and the software CPU at CPL 0; TF stays 0; RF, VM,
        // VIF, VIP and the reserved bits are ignored by POPF, so random values there test that.
        long keep = FlagRules.STATUS | FlagRules.DF | FlagRules.NT | FlagRules.AC | FlagRules.ID;
        long ignored = 1L << 16 | 1L << 17 | 1L << 19 | 1L << 20 | 1L << 3 | 1L << 5 | 1L << 15 | 1L << 1
                | 0xFFFFFFFFFFC00000L;
        long value = b.rnd.nextLong() & (keep | ignored) | FlagRules.IF;
        long rsp = b.regs[Operand.RSP];
        b.poke(rsp, value, word ? 2 : 8);
        b.say((word ? "POPF (16-bit) 0x" : "POPFQ 0x") + Long.toHexString(value & (word ? 0xFFFF : -1L)));
        b.emit(a.op(0x9D));
    }

    private static void enterLeave(CaseBuilder b, boolean word) {
        long rbp = b.target(8) & ~7L;
        if (rbp - Layout.DATA_VA < 64) {
            rbp += 64;
        }
        b.pin(5, rbp);
        b.pokeRandom(rbp - 40, 48);
        Asm a = sized(word);
        if (b.rnd.nextBoolean()) {
            // ENTER probes the final RSP (a #PF there when it leaves the data area: 1 case in 10).
            int size = b.rnd.nextInt(10) == 0 ? b.rnd.nextInt(0x10000)
                    : b.rnd.nextInt(4) == 0 ? b.rnd.nextInt(0x3000) : b.rnd.nextInt(64) * 8;
            int level = b.rnd.nextInt(8) == 0 ? 32 + b.rnd.nextInt(3) : b.rnd.nextInt(5);
            a.op(0xC8).imm(size | (long) level << 16, 3);
            b.say("ENTER " + size + "," + level + (word ? " (16-bit)" : "") + (size >= 0x3000 ? " "
                    + CaseBuilder.MAY_FAULT : ""));
        } else {
            a.op(0xC9);
            b.say("LEAVE" + (word ? " (16-bit)" : ""));
        }
        b.emit(a);
    }
}
