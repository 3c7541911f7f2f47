package org.jkvm.softcpu.oracle;

/**
 * MOV in every form (r/m,r; r,r/m; r/m,imm; B0+r/B8+r with imm64; A0-A3 moffs with 64- and 32-bit addresses and
 * GS), MOVZX MOVSX MOVSXD, CBW CWDE CDQE CWD CDQ CQO, LEA with every address form (random addresses, 16/32/64-bit
 * results, 67 prefix), XLAT, and the NOP forms (90, 66 90, F3 90 PAUSE, 0F 1F /0).
 */
final class MoveGen implements Generator {
    @Override
    public String name() {
        return "MOVE";
    }

    @Override
    public void generate(CaseBuilder b) {
        int kind = b.rnd.nextInt(100);
        if (kind < 30) {
            mov(b, b.size(false));
        } else if (kind < 40) {
            moffs(b, b.size(false));
        } else if (kind < 60) {
            extend(b);
        } else if (kind < 68) {
            convert(b);
        } else if (kind < 88) {
            lea(b, b.size(true));
        } else if (kind < 93) {
            xlat(b);
        } else {
            nop(b);
        }
    }

    private static void mov(CaseBuilder b, int bits) {
        boolean w = bits != 8;
        Asm a = b.sized(new Asm(), bits);
        switch (b.rnd.nextInt(4)) {
            case 0, 1 -> {
                boolean store = b.rnd.nextBoolean();
                Operand.Reg r = b.reg(bits);
                Operand rm = b.rm(bits, 50);
                a.op((store ? 0x88 : 0x8A) + (w ? 1 : 0)).reg(r).rm(rm);
                b.say("MOV " + (store ? Generator.text(rm) + "," + r.name() : r.name() + "," + Generator.text(rm)));
            }
            case 2 -> {
                Operand rm = b.rm(bits, 50);
                int immBytes = Math.min(bits, 32) / 8;
                a.op(w ? 0xC7 : 0xC6).ext(0).rm(rm).imm(Values.of(b.rnd, immBytes * 8), immBytes);
                b.say("MOV " + Generator.text(rm) + ",imm" + immBytes * 8);
            }
            default -> {
                Operand.Reg r = b.reg(bits);
                a.op(w ? 0xB8 : 0xB0).opReg(r).imm(Values.of(b.rnd, bits), bits / 8);
                b.say("MOV " + r.name() + ",imm" + bits + " (B0/B8+r)");
            }
        }
        b.emit(b.maybeRex(a));
    }

    private static void moffs(CaseBuilder b, int bits) {
        boolean store = b.rnd.nextBoolean();
        boolean addr32 = b.rnd.nextInt(4) == 0;
        boolean gs = b.rnd.nextInt(5) == 0;
        long va = b.target(bits / 8);
        b.pokeRandom(va, bits / 8);
        b.set(Operand.Reg.of(0, bits), Values.of(b.rnd, bits));
        Asm a = b.sized(new Asm(), bits);
        if (gs) {
            a.prefix(0x65);
        }
        if (addr32) {
            a.prefix(0x67);
        }
        long offset = gs ? va - Layout.GS_BASE : va;
        a.op((store ? 0xA2 : 0xA0) + (bits == 8 ? 0 : 1)).imm(offset, addr32 ? 4 : 8);
        b.say("MOV " + (store ? "moffs" + (addr32 ? "32" : "64") + ",acc" + bits : "acc" + bits + ",moffs"
                + (addr32 ? "32" : "64")) + (gs ? " gs" : "") + " 0x" + Long.toHexString(offset));
        b.emit(a);
    }

    private static void extend(CaseBuilder b) {
        int kind = b.rnd.nextInt(5);
        if (kind == 4) {
            boolean w = b.rnd.nextInt(5) != 0;
            Operand.Reg dst = b.reg(w ? 64 : 32);
            Operand rm = b.rm(32, 40);
            Asm a = new Asm().op(0x63).reg(dst).rm(rm);
            if (w) {
                a.rexW();
            }
            b.say("MOVSXD " + dst.name() + "," + Generator.text(rm));
            b.emit(b.maybeRex(a));
            return;
        }
        boolean signed = kind >= 2;
        boolean word = (kind & 1) == 1;
        int dstBits = word ? (b.rnd.nextBoolean() ? 32 : 64) : 16 << b.rnd.nextInt(3);
        if (word && b.rnd.nextInt(8) == 0) {
            dstBits = 16;
        }
        Asm a = b.sized(new Asm(), dstBits);
        Operand.Reg dst = b.reg(dstBits);
        Operand rm = b.rm(word ? 16 : 8, 40);
        a.op(0x0F, (signed ? 0xBE : 0xB6) + (word ? 1 : 0)).reg(dst).rm(rm);
        b.say((signed ? "MOVSX " : "MOVZX ") + dst.name() + "," + Generator.text(rm));
        b.emit(b.maybeRex(a));
    }

    private static void convert(CaseBuilder b) {
        int bits = b.size(true);
        boolean cwd = b.rnd.nextBoolean();
        b.set(Operand.Reg.of(0, bits), Values.of(b.rnd, bits));
        Asm a = b.sized(new Asm(), bits).op(cwd ? 0x99 : 0x98);
        String[] names = cwd ? new String[] {"CWD", "CDQ", "CQO"} : new String[] {"CBW", "CWDE", "CDQE"};
        b.say(names[Integer.numberOfTrailingZeros(bits) - 4]);
        b.emit(b.maybeRex(a));
    }

    private static void lea(CaseBuilder b, int bits) {
        Asm a = b.sized(new Asm(), bits);
        Operand.Reg dst = b.reg(bits);
        long va = b.rnd.nextInt(3) == 0 ? b.target(8) : b.rnd.nextLong();
        Operand.Mem m = b.memAt(va, true);
        a.op(0x8D).reg(dst).rm(m);
        b.say("LEA " + dst.name() + "," + m.text());
        b.emit(b.maybeRex(a));
    }

    private static void xlat(CaseBuilder b) {
        long table = b.target(256);
        int al = (int) Values.of(b.rnd, 8);
        b.pokeRandom(table + al, 1);
        b.set(Operand.Reg.of(0, 8), al);
        b.pin(0);
        b.pin(3, table);
        Asm a = new Asm();
        if (b.rnd.nextInt(4) == 0) {
            a.rexW();
        }
        a.op(0xD7);
        b.say("XLAT al=0x" + Integer.toHexString(al));
        b.emit(a);
    }

    private static void nop(CaseBuilder b) {
        switch (b.rnd.nextInt(5)) {
            case 0 -> b.say("NOP").emitBytes(0x90);
            case 1 -> b.say("NOP (66 90)").emitBytes(0x66, 0x90);
            case 2 -> b.say("PAUSE").emitBytes(0xF3, 0x90);
            default -> {
                int bits = b.rnd.nextBoolean() ? 32 : 16;
                Asm a = b.sized(new Asm(), bits);
                Operand rm = b.rnd.nextBoolean() ? b.reg(bits) : b.memAt(b.rnd.nextLong(), true);
                a.op(0x0F, 0x1F).ext(0).rm(rm);
                b.say("NOP " + Generator.text(rm));
                b.emit(b.maybeRex(a));
            }
        }
    }
}
