package org.jkvm.softcpu.oracle;

/**
 * ADD OR ADC SBB AND SUB XOR CMP in all their forms (r/m,r; r,r/m; AL/AX/EAX/RAX,imm; r/m,imm; r/m,imm8
 * sign-extended), with LOCK on memory destinations; TEST (r/m,r; accumulator,imm; r/m,imm); INC DEC NEG NOT
 * (with LOCK on memory); and two-instruction carry chains (ADD/SUB then ADC/SBB) that check CF flows through.
 */
final class AluGen implements Generator {
    private static final String[] OPS = {"ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP"};

    @Override
    public String name() {
        return "ALU";
    }

    @Override
    public void generate(CaseBuilder b) {
        int kind = b.rnd.nextInt(100);
        if (kind < 60) {
            binary(b, b.rnd.nextInt(8), b.size(false));
        } else if (kind < 70) {
            test(b, b.size(false));
        } else if (kind < 92) {
            unary(b, b.size(false));
        } else {
            int bits = b.size(false);
            binary(b, b.rnd.nextBoolean() ? 0 : 5, bits);
            b.next();
            binary(b, b.rnd.nextBoolean() ? 2 : 3, bits);
        }
    }

    /** The flags operation {@code op} leaves undefined (AND OR XOR: AF). */
    static long undefined(int op) {
        return op == 1 || op == 4 || op == 6 ? FlagRules.AF : 0;
    }

    private static void binary(CaseBuilder b, int op, int bits) {
        int form = b.rnd.nextInt(5);
        if (form == 4 && bits == 8 || form == 2 && !b.claimable(0)) {
            form = 3;
        }
        boolean w = bits != 8;
        Asm a = b.sized(new Asm(), bits);
        b.flags(FlagRules.STATUS, undefined(op));
        switch (form) {
            case 0, 1 -> {
                Operand.Reg reg = b.reg(bits);
                Operand rm = b.rm(bits, 45);
                a.op(op * 8 + (form == 0 ? 0 : 2) + (w ? 1 : 0)).reg(reg).rm(rm);
                lock(b, a, rm, form == 0 && op != 7);
                b.say(OPS[op]).say(form == 0 ? Generator.text(rm) + "," + reg.name()
                        : reg.name() + "," + Generator.text(rm));
            }
            case 2 -> {
                Operand.Reg acc = Operand.Reg.of(0, bits);
                b.set(acc, Values.of(b.rnd, bits));
                int immBytes = Math.min(bits, 32) / 8;
                long imm = Values.of(b.rnd, immBytes * 8);
                a.op(op * 8 + 4 + (w ? 1 : 0)).imm(imm, immBytes);
                b.say(OPS[op]).say(acc.name() + ",imm" + immBytes * 8);
            }
            default -> {
                Operand rm = b.rm(bits, 45);
                boolean imm8 = form == 4;
                int immBytes = imm8 ? 1 : Math.min(bits, 32) / 8;
                a.op(bits == 8 ? 0x80 : imm8 ? 0x83 : 0x81).ext(op).rm(rm).imm(Values.of(b.rnd, immBytes * 8),
                        immBytes);
                lock(b, a, rm, op != 7);
                b.say(OPS[op]).say(Generator.text(rm) + (imm8 ? ",imm8(sx)" : ",imm" + immBytes * 8));
            }
        }
        b.emit(b.maybeRex(a));
    }

    private static void test(CaseBuilder b, int bits) {
        boolean w = bits != 8;
        Asm a = b.sized(new Asm(), bits);
        b.flags(FlagRules.STATUS, FlagRules.AF);
        int form = b.rnd.nextInt(3);
        switch (form == 1 && !b.claimable(0) ? 0 : form) {
            case 0 -> {
                Operand.Reg reg = b.reg(bits);
                Operand rm = b.rm(bits, 40);
                a.op(w ? 0x85 : 0x84).reg(reg).rm(rm);
                b.say("TEST " + Generator.text(rm) + "," + reg.name());
            }
            case 1 -> {
                b.set(Operand.Reg.of(0, bits), Values.of(b.rnd, bits));
                int immBytes = Math.min(bits, 32) / 8;
                a.op(w ? 0xA9 : 0xA8).imm(Values.of(b.rnd, immBytes * 8), immBytes);
                b.say("TEST acc" + bits + ",imm");
            }
            default -> {
                Operand rm = b.rm(bits, 40);
                int immBytes = Math.min(bits, 32) / 8;
                a.op(w ? 0xF7 : 0xF6).ext(0).rm(rm).imm(Values.of(b.rnd, immBytes * 8), immBytes);
                b.say("TEST " + Generator.text(rm) + ",imm");
            }
        }
        b.emit(b.maybeRex(a));
    }

    private static void unary(CaseBuilder b, int bits) {
        boolean w = bits != 8;
        Asm a = b.sized(new Asm(), bits);
        Operand rm = b.rm(bits, 40);
        int which = b.rnd.nextInt(4);
        String[] names = {"INC", "DEC", "NOT", "NEG"};
        if (which < 2) {
            a.op(w ? 0xFF : 0xFE).ext(which).rm(rm);
            b.flags(FlagRules.STATUS & ~FlagRules.CF, 0);
        } else {
            b.flags(which == 3 ? FlagRules.STATUS : 0, 0);
            a.op(w ? 0xF7 : 0xF6).ext(which).rm(rm);
        }
        lock(b, a, rm, true);
        b.say(names[which] + " " + Generator.text(rm));
        b.emit(b.maybeRex(a));
    }

    /** Adds LOCK (first among the prefixes) to some memory-destination forms where it is allowed. */
    static void lock(CaseBuilder b, Asm a, Operand rm, boolean allowed) {
        if (allowed && rm instanceof Operand.Mem && b.rnd.nextInt(3) == 0) {
            a.prefixFirst(0xF0);
            b.say("LOCK");
        }
    }
}
