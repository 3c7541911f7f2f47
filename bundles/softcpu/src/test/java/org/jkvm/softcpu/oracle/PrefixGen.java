package org.jkvm.softcpu.oracle;

/**
 * Prefix handling in the decoder: legacy prefixes in random order and repeated (66 66, LOCK after 66, segment
 * overrides the instruction ignores), instructions padded with redundant prefixes to exactly 15 bytes, a REX
 * followed by a legacy prefix (the REX is then ignored), two REX prefixes (only the last one counts), and F2/F3 on
 * one-byte opcodes that ignore them.
 */
final class PrefixGen implements Generator {
    private static final int[] HARMLESS = {0x66, 0x2E, 0x3E, 0x26, 0x36};

    @Override
    public String name() {
        return "PREFIX";
    }

    @Override
    public void generate(CaseBuilder b) {
        switch (b.rnd.nextInt(5)) {
            case 0 -> shuffled(b);
            case 1 -> padded(b);
            case 2 -> rexThenLegacy(b);
            case 3 -> twoRex(b);
            default -> ignoredRep(b);
        }
    }

    /** ADD r/m, r with 66, LOCK (memory forms) and segment overrides in a random order, some repeated. */
    private static void shuffled(CaseBuilder b) {
        Operand.Reg r = b.reg(16);
        Operand rm = b.rm(16, 60);
        java.util.List<Integer> pre = new java.util.ArrayList<>(java.util.List.of(0x66, 0x66));
        if (rm instanceof Operand.Mem) {
            pre.add(0xF0);
        }
        for (int i = b.rnd.nextInt(3); i > 0; i--) {
            pre.add(new int[] {0x2E, 0x3E, 0x26}[b.rnd.nextInt(3)]);
        }
        for (int i = pre.size() - 1; i > 0; i--) {
            int j = b.rnd.nextInt(i + 1);
            pre.set(i, pre.set(j, pre.get(i)));
        }
        Asm a = new Asm();
        pre.forEach(a::prefix);
        a.op(0x01).reg(r).rm(rm);
        b.flags(FlagRules.STATUS, 0).say("ADD " + Generator.text(rm) + "," + r.name() + " prefixes " + pre);
        b.emit(a);
    }

    /** A register ADD padded with redundant 66 / segment prefixes to exactly 15 bytes (the longest allowed). */
    private static void padded(CaseBuilder b) {
        // Registers without REX, so that 13 prefixes and the 2-byte ADD make exactly 15 bytes.
        Operand.Reg r = Operand.Reg.of(b.rnd.nextInt(8), 16);
        Operand.Reg s = Operand.Reg.of(b.rnd.nextInt(8), 16);
        b.set(r, Values.of(b.rnd, 16));
        b.set(s, Values.of(b.rnd, 16));
        Asm a = new Asm();
        for (int i = 0; i < 13; i++) {
            a.prefix(i == 0 ? 0x66 : HARMLESS[b.rnd.nextInt(HARMLESS.length)]);
        }
        a.op(0x01).reg(r).rm(s);
        b.flags(FlagRules.STATUS, 0).say("15-byte ADD " + s.name() + "," + r.name());
        b.emit(a);
    }

    /** REX.W then 66: the REX does not immediately precede the opcode, so it is ignored (a 16-bit ADD). */
    private static void rexThenLegacy(CaseBuilder b) {
        int x = b.rnd.nextInt(8);
        int y = b.rnd.nextInt(8);
        b.set(Operand.Reg.of(x, 16), Values.of(b.rnd, 16));
        b.set(Operand.Reg.of(y, 16), Values.of(b.rnd, 16));
        b.emitBytes(0x48 | b.rnd.nextInt(8), 0x66, 0x01, 0xC0 | y << 3 | x);
        b.flags(FlagRules.STATUS, 0).say("REX, 66, ADD r16,r16 (REX ignored)");
    }

    /** Two REX prefixes: only the second counts (here REX.B and maybe REX.W). */
    private static void twoRex(CaseBuilder b) {
        int x = b.rnd.nextInt(8);
        int y = b.rnd.nextInt(8);
        b.set(Operand.Reg.of(8 + x, 64), Values.of(b.rnd, 64));
        b.set(Operand.Reg.of(y, 64), Values.of(b.rnd, 64));
        int second = 0x41 | (b.rnd.nextBoolean() ? 8 : 0);
        b.emitBytes(0x40 | b.rnd.nextInt(16), second, 0x01, 0xC0 | y << 3 | x);
        b.flags(FlagRules.STATUS, 0).say(String.format("two REX prefixes, the last %02X: ADD", second));
    }

    /** F2 or F3 on ADD/XOR/MOV register forms, which ignore them. */
    private static void ignoredRep(CaseBuilder b) {
        int bits = b.rnd.nextBoolean() ? 32 : 64;
        Operand.Reg r = b.reg(bits);
        Operand.Reg s = b.reg(bits);
        int op = new int[] {0x01, 0x31, 0x89}[b.rnd.nextInt(3)];
        Asm a = new Asm().prefix(b.rnd.nextBoolean() ? 0xF2 : 0xF3);
        if (bits == 64) {
            a.rexW();
        }
        a.op(op).reg(r).rm(s);
        b.flags(op == 0x89 ? 0 : FlagRules.STATUS, op == 0x31 ? FlagRules.AF : 0)
                .say(String.format("F2/F3 ignored on %02X", op));
        b.emit(a);
    }
}
