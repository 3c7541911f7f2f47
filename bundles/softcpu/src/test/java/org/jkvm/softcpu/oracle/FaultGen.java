package org.jkvm.softcpu.oracle;

/**
 * Instructions that fault in 64-bit user mode, to compare the exception, its RIP, error code and CR2 and the state
 * it leaves: opcodes invalid in 64-bit mode and UD2/UD1 (#UD), LOCK where it is not allowed (#UD), instructions
 * longer than 15 bytes (#GP), INT3 and INT 3 (#BP, a trap: RIP after it), INT n through a gate it may not use (#GP
 * with the IDT error code), non-canonical addresses (#GP(0), or #SS(0) through RSP/RBP), accesses that start or
 * run into the unmapped pages around the data area (#PF with CR2), a push below the data area, and REP STOS/MOVS
 * that run off its end (#PF after some iterations, with RCX/RSI/RDI where the fault struck).
 */
final class FaultGen implements Generator {
    private static final int[] INVALID_64 = {0x06, 0x07, 0x0E, 0x16, 0x17, 0x1E, 0x1F, 0x27, 0x2F, 0x37, 0x3F,
        0x60, 0x61, 0xCE, 0xD4, 0xD5, 0x9A, 0xEA, 0x82};

    @Override
    public String name() {
        return "FAULT";
    }

    @Override
    public void generate(CaseBuilder b) {
        int kind = b.rnd.nextInt(100);
        if (kind < 15) {
            invalid(b);
        } else if (kind < 25) {
            lock(b);
        } else if (kind < 33) {
            breakpoint(b);
        } else if (kind < 50) {
            nonCanonical(b);
        } else if (kind < 80) {
            pageFault(b);
        } else {
            repOffTheEnd(b);
        }
    }

    private static void invalid(CaseBuilder b) {
        if (b.rnd.nextInt(4) == 0) {
            boolean ud1 = b.rnd.nextBoolean();
            b.say(ud1 ? "UD1" : "UD2");
            if (ud1) {
                b.emit(new Asm().op(0x0F, 0xB9).reg(b.reg(32)).rm(b.reg(32)));
            } else {
                b.emitBytes(0x0F, 0x0B);
            }
            return;
        }
        int op = INVALID_64[b.rnd.nextInt(INVALID_64.length)];
        b.say(String.format("invalid in 64-bit mode: %02X", op));
        b.emitBytes(op, b.rnd.nextInt(256), b.rnd.nextInt(256), b.rnd.nextInt(256), b.rnd.nextInt(256),
                b.rnd.nextInt(256), b.rnd.nextInt(256));
    }

    private static void lock(CaseBuilder b) {
        if (b.rnd.nextInt(4) == 0) {
            // 14 redundant prefixes and a 2-byte ADD: 16 bytes, over the 15-byte limit: #GP(0).
            for (int i = 0; i < 14; i++) {
                b.emitBytes(i == 0 ? 0x66 : new int[] {0x66, 0x2E, 0x3E}[b.rnd.nextInt(3)]);
            }
            b.emitBytes(0x01, 0xC0 | b.rnd.nextInt(64));
            b.say("16-byte instruction");
            return;
        }
        int bits = b.size(true);
        Asm a = b.sized(new Asm(), bits).prefixFirst(0xF0);
        switch (b.rnd.nextInt(3)) {
            case 0 -> {
                Operand.Reg r = b.reg(bits);
                a.op(0x01).reg(r).rm(b.reg(bits));
                b.say("LOCK ADD reg,reg");
            }
            case 1 -> {
                Operand.Reg r = b.reg(bits);
                a.op(0x89).reg(r).rm(b.mem(bits / 8, true));
                b.say("LOCK MOV m,r");
            }
            default -> {
                Operand.Reg r = b.reg(bits);
                a.op(0x39).reg(r).rm(b.mem(bits / 8, true));
                b.say("LOCK CMP m,r");
            }
        }
        b.emit(a);
    }

    private static void breakpoint(CaseBuilder b) {
        switch (b.rnd.nextInt(3)) {
            case 0 -> b.say("INT3").emitBytes(0xCC);
            case 1 -> b.say("INT 3").emitBytes(0xCD, 0x03);
            default -> {
                // INT n through a gate user mode may not use: #GP(n * 8 + 2) (IDT bit set, EXT clear). The host's
                // gates for n >= 32 other than 0x80 have DPL 0; the software CPU's IDT ends at vector 31, so its
                // INT n fails the limit check with the same error code.
                int n = 32 + b.rnd.nextInt(224);
                if (n == 0x80) {
                    n = 0x81;
                }
                b.say("INT 0x" + Integer.toHexString(n)).emitBytes(0xCD, n);
            }
        }
    }

    private static void nonCanonical(CaseBuilder b) {
        int bits = b.size(false);
        long va = (b.rnd.nextBoolean() ? 0x8000000000000000L : 0x0000800000000000L) + b.rnd.nextInt(1 << 20);
        boolean stack = b.rnd.nextInt(3) == 0;
        // RSP and RBP bases address SS (#SS); RBX, and R12/R13 (RSP's and RBP's field with REX.B), address DS (#GP).
        int base = stack ? (b.rnd.nextBoolean() ? Operand.RSP : 5) : new int[] {3, 12, 13}[b.rnd.nextInt(3)];
        b.pin(base, va);
        // An ES/CS/SS/DS override is ignored in 64-bit mode: the base's default segment still picks #SS or #GP.
        int noise = b.rnd.nextInt(3) == 0 ? new int[] {0x26, 0x2E, 0x36, 0x3E}[b.rnd.nextInt(4)] : 0;
        Operand.Mem m = new Operand.Mem(base, Operand.NONE, 1, 0, (base & 7) == 5 ? 1 : 0, false, false, false,
                noise);
        Operand.Reg r = Operand.Reg.of(b.rnd.nextBoolean() ? 0 : 2, bits);
        boolean store = b.rnd.nextBoolean();
        Asm a = b.sized(new Asm(), bits).op((store ? 0x88 : 0x8A) + (bits == 8 ? 0 : 1)).reg(r).rm(m);
        b.say("MOV non-canonical " + m.text() + (store ? " store" : " load"));
        b.emit(a);
    }

    private static void pageFault(CaseBuilder b) {
        int bits = b.size(false);
        int size = bits / 8;
        long va = b.rnd.nextBoolean() ? Layout.DATA_VA - 1 - b.rnd.nextInt(size + 8) + 1
                : Layout.DATA_VA + Layout.DATA_SIZE - size + 1 + b.rnd.nextInt(size + 8);
        if (b.rnd.nextInt(6) == 0) {
            // A push into the page below the data area (RSP at its start).
            b.pin(Operand.RSP, Layout.DATA_VA + b.rnd.nextInt(8));
            b.say("PUSH below the data area").emitBytes(0x50 + b.rnd.nextInt(8));
            return;
        }
        b.pin(3, va);
        Operand.Mem m = new Operand.Mem(3, Operand.NONE, 1, 0, 0, false, false, false, 0);
        Operand.Reg r = Operand.Reg.of(b.rnd.nextBoolean() ? 0 : 2, bits);
        boolean store = b.rnd.nextBoolean();
        Asm a = b.sized(new Asm(), bits).op((store ? 0x88 : 0x8A) + (bits == 8 ? 0 : 1)).reg(r).rm(m);
        b.say("MOV " + (store ? "store" : "load") + " at 0x" + Long.toHexString(va) + " size " + size);
        b.emit(a);
    }

    private static void repOffTheEnd(CaseBuilder b) {
        int bits = b.size(false);
        int size = bits / 8;
        boolean movs = b.rnd.nextBoolean();
        boolean down = b.rnd.nextBoolean();
        int count = 2 + b.rnd.nextInt(12);
        long dst = down ? Layout.DATA_VA + size * b.rnd.nextInt(count - 1) - b.rnd.nextInt(size)
                : Layout.DATA_VA + Layout.DATA_SIZE - size * (1 + b.rnd.nextInt(count - 1)) + b.rnd.nextInt(size);
        b.rflags = down ? b.rflags | FlagRules.DF : b.rflags & ~FlagRules.DF;
        long src = Layout.DATA_VA + 0x1800 + b.rnd.nextInt(64);
        b.pokeRandom(src - 8 * 16, 8 * 33);
        b.pin(7, dst).pin(6, src).pin(1, count);
        b.set(Operand.Reg.of(0, bits), Values.of(b.rnd, bits));
        b.pin(0);
        Asm a = b.sized(new Asm(), bits).prefixFirst(0xF3).op((movs ? 0xA4 : 0xAA) + (bits == 8 ? 0 : 1));
        b.say("REP " + (movs ? "MOVS" : "STOS") + " size " + size + " count " + count + (down ? " DF=1" : "")
                + " off the data area at 0x" + Long.toHexString(dst));
        b.emit(a);
    }
}
