package org.jkvm.softcpu.oracle;

/**
 * Self-modifying code, as user space may write it: an instruction stores into the bytes of an instruction that
 * follows it (an immediate, a ModRM byte, a whole opcode) and that instruction then runs in its new form. x86
 * makes such stores visible to the very next instruction, so a CPU that caches decoded code must notice them.
 * Forms: MOV byte/word/dword [rip+d], imm; a register store through a pointer; REP STOSB of NOPs over a UD2.
 */
final class SmcGen implements Generator {
    @Override
    public String name() {
        return "SMC";
    }

    @Override
    public void generate(CaseBuilder b) {
        Operand.Reg r = Operand.Reg.of(pickReg(b), 32);
        b.set(r, Values.of(b.rnd, 32));
        b.pin(r.num());
        switch (b.rnd.nextInt(4)) {
            case 0 -> patchImmediate(b, r);
            case 1 -> patchModrm(b, r);
            case 2 -> patchThroughPointer(b, r);
            default -> stosOverUd2(b);
        }
    }

    /** A register other than RAX, RSP, RCX, RDI (the STOS form uses them) for the patched instruction. */
    private static int pickReg(CaseBuilder b) {
        while (true) {
            int n = b.rnd.nextInt(16);
            if (n != 0 && n != Operand.RSP && n != 1 && n != 7 && b.claimable(n)) {
                return n;
            }
        }
    }

    /** MOV byte [rip+d], imm8 over the imm8 of a following ADD r32, imm8 (83 /0 ib). */
    private static void patchImmediate(CaseBuilder b, Operand.Reg r) {
        int imm = b.rnd.nextInt(256);
        // C6 05 disp32 imm8 is 7 bytes; the ADD's immediate is its last byte.
        long target = b.here() + 7 + (r.num() >= 8 ? 3 : 2);
        Operand.Mem m = new Operand.Mem(Operand.RIP, Operand.NONE, 1, target, 4, false, false, false, 0);
        b.emit(new Asm().op(0xC6).ext(0).rm(m).imm(imm, 1));
        b.next();
        b.emit(new Asm().op(0x83).ext(0).rm(r).imm(b.rnd.nextInt(256), 1));
        b.flags(FlagRules.STATUS, 0).say("MOV byte [rip] over the imm8 of ADD " + r.name() + ",imm8 -> " + imm);
    }

    /** MOV byte [rip+d], modrm turning INC r32 (FF /0) into DEC (FF /1), or a word store making it NEG (F7 /3). */
    private static void patchModrm(CaseBuilder b, Operand.Reg r) {
        boolean word = b.rnd.nextBoolean();
        int rex = r.num() >= 8 ? 1 : 0;
        // The store is 7 bytes (9 for the word form); then [REX] FF ModRM: the ModRM byte is 1 + rex further.
        long target = b.here() + (word ? 9 : 7) + rex + 1;
        Operand.Mem m = new Operand.Mem(Operand.RIP, Operand.NONE, 1, target - (word ? 1 : 0), 4, false, false,
                false, 0);
        int modrm = 0xC8 | r.field();
        if (word) {
            // Rewrite opcode and ModRM together: FF C0+r (INC) becomes F7 D8+r (NEG).
            b.emit(new Asm().prefix(0x66).op(0xC7).ext(0).rm(m).imm(0xF7 | (0xD8 | r.field()) << 8, 2));
        } else {
            b.emit(new Asm().op(0xC6).ext(0).rm(m).imm(modrm, 1));
        }
        b.next();
        b.emit(new Asm().op(0xFF).ext(0).rm(r));
        b.flags(FlagRules.STATUS, 0).say("MOV " + (word ? "word" : "byte") + " [rip] turning INC " + r.name()
                + (word ? " into NEG" : " into DEC"));
    }

    /** MOV [rbx], eax with RBX pointing at the imm32 of a following MOV r32, imm32 (B8+r id). */
    private static void patchThroughPointer(CaseBuilder b, Operand.Reg r) {
        int ptr = 3;
        int val = 0;
        if (r.num() == ptr || r.num() == val) {
            ptr = 13;
            val = 5;
        }
        // MOV [ptr], val32 is 2 bytes (3 with REX for R13); the MOV r32, imm32 opcode is 1 byte (+1 REX).
        int storeLen = ptr >= 8 ? 4 : 2;
        long immAt = b.here() + storeLen + (r.num() >= 8 ? 2 : 1);
        b.pin(ptr, immAt);
        long v = Values.of(b.rnd, 32);
        b.set(Operand.Reg.of(val, 32), v);
        b.pin(val);
        Operand.Mem m = new Operand.Mem(ptr, Operand.NONE, 1, 0, ptr == 13 ? 1 : 0, false, false, false, 0);
        b.emit(new Asm().op(0x89).reg(Operand.Reg.of(val, 32)).rm(m));
        b.next();
        b.emit(new Asm().op(0xB8).opReg(r).imm(Values.of(b.rnd, 32), 4));
        b.say("MOV [ptr] over the imm32 of MOV " + r.name() + ",imm32 -> 0x" + Long.toHexString(v));
    }

    /** REP STOSB of 0x90 over a following UD2, which then runs as two NOPs. */
    private static void stosOverUd2(CaseBuilder b) {
        boolean down = b.rnd.nextBoolean();
        long ud2 = b.here() + 2;
        b.set(Operand.Reg.of(0, 8), 0x90);
        b.pin(0);
        b.pin(1, 2);
        b.pin(7, down ? ud2 + 1 : ud2);
        b.rflags = down ? b.rflags | FlagRules.DF : b.rflags & ~FlagRules.DF;
        b.emitBytes(0xF3, 0xAA);
        b.next();
        b.emitBytes(0x0F, 0x0B);
        b.say("REP STOSB of NOPs over the following UD2" + (down ? " (DF=1)" : ""));
    }
}
