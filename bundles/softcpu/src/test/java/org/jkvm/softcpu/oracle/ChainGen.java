package org.jkvm.softcpu.oracle;

import org.jkvm.softcpu.oracle.CpuFeatures.Feature;

/**
 * Flag producers followed by flag consumers, the path a CPU with lazily computed flags is most likely to get
 * wrong: an arithmetic, logic, shift, rotate, BT, multiply or bit-count instruction, up to two instructions that
 * leave some flags alone or change one (INC/DEC keep CF, NOT/MOV/LEA/XCHG/BSWAP keep all, CLC/STC/CMC, ADCX/ADOX,
 * SAHF), then an instruction that reads flags: Jcc, SETcc, CMOVcc, ADC/SBB, RCL/RCR, ADCX/ADOX, CMC, LAHF, PUSHF.
 * Consumers only read flags that are defined at that point ({@link CaseBuilder#flags}).
 */
final class ChainGen implements Generator {
    private static final String[] ALU = {"ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP"};

    @Override
    public String name() {
        return "CHAIN";
    }

    @Override
    public void generate(CaseBuilder b) {
        b.pin(Operand.RSP, b.regs[Operand.RSP]);
        producer(b);
        int middles = b.rnd.nextInt(3);
        for (int i = 0; i < middles; i++) {
            b.next();
            middle(b);
        }
        b.next();
        consumer(b);
    }

    private static void producer(CaseBuilder b) {
        int bits = b.size(false);
        boolean w = bits != 8;
        Asm a = b.sized(new Asm(), bits);
        int kind = b.rnd.nextInt(8);
        boolean bitCount = b.features.has(Feature.POPCNT) || b.features.has(Feature.LZCNT);
        if (kind < 3 || kind == 7 && !bitCount) {
            int op = b.rnd.nextInt(8);
            Operand.Reg r = b.reg(bits);
            Operand rm = b.rm(bits, 30);
            a.op(op * 8 + (w ? 1 : 0)).reg(r).rm(rm);
            b.flags(FlagRules.STATUS, AluGen.undefined(op)).say(ALU[op] + " " + Generator.text(rm) + "," + r.name());
        } else if (kind == 3) {
            int which = b.rnd.nextInt(3);
            Operand rm = b.rm(bits, 30);
            a.op(which == 2 ? (w ? 0xF7 : 0xF6) : (w ? 0xFF : 0xFE)).ext(which == 2 ? 3 : which).rm(rm);
            b.flags(which == 2 ? FlagRules.STATUS : FlagRules.STATUS & ~FlagRules.CF, 0)
                    .say(new String[] {"INC ", "DEC ", "NEG "}[which] + Generator.text(rm));
        } else if (kind == 4) {
            int ext = new int[] {0, 1, 2, 3, 4, 5, 7}[b.rnd.nextInt(7)];
            int count = b.rnd.nextInt(3) == 0 ? 1 : Values.count(b.rnd, bits);
            Operand rm = b.rm(bits, 30);
            a.op(w ? 0xC1 : 0xC0).ext(ext).rm(rm).imm(count, 1);
            int masked = count & (bits == 64 ? 63 : 31);
            b.flags(FlagRules.shiftWritten(ext, masked), FlagRules.shiftUndefined(ext, masked, bits))
                    .say("shift/" + ext + " " + Generator.text(rm) + "," + count);
        } else if (kind == 5 && w) {
            int bit = b.rnd.nextInt(256);
            Operand rm = b.rm(bits, 30);
            a.op(0x0F, 0xBA).ext(4 + b.rnd.nextInt(4)).rm(rm).imm(bit, 1);
            b.flags(FlagRules.STATUS, FlagRules.OF | FlagRules.SF | FlagRules.ZF | FlagRules.AF | FlagRules.PF)
                    .say("BT* " + Generator.text(rm) + "," + bit);
        } else if (kind == 6) {
            b.set(Operand.Reg.of(0, bits), Values.of(b.rnd, bits));
            Operand rm = b.rm(bits, 30);
            a.op(w ? 0xF7 : 0xF6).ext(4 + b.rnd.nextInt(2)).rm(rm);
            b.touch(2).flags(FlagRules.STATUS, FlagRules.SF | FlagRules.ZF | FlagRules.AF | FlagRules.PF)
                    .say("MUL/IMUL " + Generator.text(rm));
        } else {
            // POPCNT or LZCNT (BSF would leave its destination undefined for a zero source).
            int size = w ? bits : 32;
            a = b.sized(new Asm(), size).prefix(0xF3);
            boolean popcnt = b.features.has(Feature.POPCNT) && (!b.features.has(Feature.LZCNT) || b.rnd.nextBoolean());
            Operand.Reg r = b.reg(size);
            Operand rm = b.rm(size, 30);
            a.op(0x0F, popcnt ? 0xB8 : 0xBD).reg(r).rm(rm);
            b.flags(FlagRules.STATUS, popcnt ? 0 : FlagRules.OF | FlagRules.SF | FlagRules.AF | FlagRules.PF)
                    .say((popcnt ? "POPCNT " : "LZCNT ") + r.name() + "," + Generator.text(rm));
        }
        b.emit(a);
    }

    private static void middle(CaseBuilder b) {
        int bits = b.rnd.nextBoolean() ? 64 : 32;
        switch (b.rnd.nextInt(8)) {
            case 0 -> {
                Operand.Reg r = b.reg(bits);
                int dec = b.rnd.nextInt(2);
                b.emit(b.sized(new Asm(), bits).op(0xFF).ext(dec).rm(r));
                b.flags(FlagRules.STATUS & ~FlagRules.CF, 0).say(";" + (dec == 0 ? " INC " : " DEC ") + r.name());
            }
            case 1 -> {
                int which = b.rnd.nextInt(3);
                b.emitBytes(new int[] {0xF8, 0xF9, 0xF5}[which]);
                b.flags(FlagRules.CF, (b.definedFlags() & FlagRules.CF) == 0 && which == 2 ? FlagRules.CF : 0)
                        .say("; " + new String[] {"CLC", "STC", "CMC"}[which]);
            }
            case 2 -> {
                Operand.Reg r = b.reg(bits);
                b.emit(b.sized(new Asm(), bits).op(0xF7).ext(2).rm(r)).say("; NOT " + r.name());
            }
            case 3 -> {
                Operand.Reg r = b.reg(bits);
                Operand.Reg s = b.reg(bits);
                b.emit(b.sized(new Asm(), bits).op(0x8D).reg(r).rm(new Operand.Mem(s.num(), Operand.NONE, 1,
                        b.rnd.nextInt(256) - 128, 1, false, false, false, 0))).say("; LEA " + r.name());
            }
            case 4 -> {
                Operand.Reg r = b.reg(bits);
                Operand.Reg s = b.reg(bits);
                b.emit(b.sized(new Asm(), bits).op(0x87).reg(r).rm(s)).say("; XCHG " + r.name() + "," + s.name());
            }
            case 5 -> {
                boolean adox = b.rnd.nextBoolean();
                long flag = adox ? FlagRules.OF : FlagRules.CF;
                // ADCX/ADOX add the flag into a register: only when it is defined.
                if (b.features.has(Feature.ADX) && (b.definedFlags() & flag) != 0) {
                    Operand.Reg r = b.reg(bits);
                    Operand.Reg s = b.reg(bits);
                    Asm a = new Asm().prefix(adox ? 0xF3 : 0x66).op(0x0F, 0x38, 0xF6).reg(r).rm(s);
                    b.emit(bits == 64 ? a.rexW() : a);
                    b.flags(flag, 0).say(adox ? "; ADOX" : "; ADCX");
                } else {
                    b.emitBytes(0xF9).flags(FlagRules.CF, 0).say("; STC");
                }
            }
            case 6 -> {
                if (b.features.has(Feature.LAHF64) && b.claimable(0)) {
                    b.set(new Operand.Reg(0, 8, true), Values.of(b.rnd, 8));
                    b.emitBytes(0x9E).flags(FlagRules.STATUS & ~FlagRules.OF, 0).say("; SAHF");
                } else {
                    b.emitBytes(0xF8).flags(FlagRules.CF, 0).say("; CLC");
                }
            }
            default -> {
                Operand.Reg r = b.reg(bits);
                b.emit(new Asm().op(0xB8).opReg(Operand.Reg.of(r.num(), 32)).imm(Values.of(b.rnd, 32), 4));
                b.say("; MOV " + r.name() + ",imm");
            }
        }
    }

    private static void consumer(CaseBuilder b) {
        long defined = b.definedFlags();
        boolean cf = (defined & FlagRules.CF) != 0;
        int cc = Cond.pick(b.rnd, defined);
        int bits = b.size(false);
        boolean w = bits != 8;
        int kind = b.rnd.nextInt(8);
        if (kind == 0 && cc >= 0) {
            int next = Layout.INSN_OFFSET + b.codeLength() + 2;
            int t = next + Layout.END_BYTES + b.rnd.nextInt(100);
            b.end(t).emit(new Asm().op(0x70 + cc).imm(t - next, 1)).say("; J" + Cond.NAMES[cc]);
        } else if (kind == 1 && cc >= 0) {
            Operand rm = b.rm(8, 20);
            b.emit(new Asm().op(0x0F, 0x90 + cc).ext(0).rm(rm)).say("; SET" + Cond.NAMES[cc]);
        } else if (kind == 2 && cc >= 0 && w) {
            Operand.Reg r = b.reg(bits);
            Operand rm = b.rm(bits, 20);
            b.emit(b.sized(new Asm(), bits).op(0x0F, 0x40 + cc).reg(r).rm(rm)).say("; CMOV" + Cond.NAMES[cc]);
        } else if (kind == 3 && cf) {
            boolean sbb = b.rnd.nextBoolean();
            Operand.Reg r = b.reg(bits);
            Operand rm = b.rm(bits, 20);
            b.emit(b.sized(new Asm(), bits).op((sbb ? 0x1A : 0x12) + (w ? 1 : 0)).reg(r).rm(rm));
            b.flags(FlagRules.STATUS, 0).say(sbb ? "; SBB" : "; ADC");
        } else if (kind == 4 && cf) {
            Operand rm = b.rm(bits, 20);
            int ext = 2 + b.rnd.nextInt(2);
            b.emit(b.sized(new Asm(), bits).op(w ? 0xD1 : 0xD0).ext(ext).rm(rm)).say(ext == 2 ? "; RCL 1" : "; RCR 1");
            b.flags(FlagRules.CF | FlagRules.OF, 0);
        } else if (kind == 5 && (defined & FlagRules.STATUS) == FlagRules.STATUS) {
            boolean lahf = b.features.has(Feature.LAHF64) && b.rnd.nextBoolean();
            if (lahf) {
                b.touch(0).emitBytes(0x9F).say("; LAHF");
            } else {
                b.pin(Operand.RSP, b.regs[Operand.RSP]);
                b.emitBytes(0x9C).say("; PUSHF");
            }
        } else if (cf) {
            b.emitBytes(0xF5).flags(FlagRules.CF, 0).say("; CMC");
        } else {
            b.emitBytes(0xF9).flags(FlagRules.CF, 0).say("; STC");
        }
    }
}
