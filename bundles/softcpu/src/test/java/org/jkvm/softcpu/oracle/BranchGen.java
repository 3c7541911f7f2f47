package org.jkvm.softcpu.oracle;

/**
 * Branches that land on a known end: Jcc rel8/rel32 (alone over random flags, or after a CMP), JMP rel8/rel32,
 * CALL rel32, RET and RET imm16, LOOP LOOPE LOOPNE and JRCXZ (with 32-bit counts under 67: JECXZ, LOOP on ECX),
 * JMP and CALL through a register or memory. Targets lie before and after the instruction; the fall-through point
 * is always an end too, so a wrong decision shows as a wrong RIP.
 */
final class BranchGen implements Generator {
    @Override
    public String name() {
        return "BRANCH";
    }

    @Override
    public void generate(CaseBuilder b) {
        long rsp = b.regs[Operand.RSP];
        b.pin(Operand.RSP, rsp);
        int kind = b.rnd.nextInt(100);
        if (kind < 35) {
            jcc(b);
        } else if (kind < 50) {
            jmpCall(b);
        } else if (kind < 62) {
            ret(b);
        } else if (kind < 82) {
            loop(b);
        } else {
            indirect(b);
        }
    }

    /**
     * A target offset in the code area for a branch whose encoding ends {@code length} bytes after
     * {@link CaseBuilder#here()}: its end stub may not overlap the code emitted or the fall-through stub, and a
     * rel8 target stays within reach.
     */
    private static int target(CaseBuilder b, int length, boolean rel8) {
        int start = Layout.INSN_OFFSET;
        int next = (int) (b.here() - Layout.CODE_VA) + length;
        int lo = rel8 ? Math.max(Layout.FIRST_END_OFFSET, next - 128) : Layout.FIRST_END_OFFSET;
        int hi = rel8 ? next + 127 : Layout.CODE_SIZE - Layout.END_BYTES;
        while (true) {
            int t = lo + b.rnd.nextInt(hi - lo + 1);
            if (t + Layout.END_BYTES <= start || t >= next + Layout.END_BYTES) {
                return t;
            }
        }
    }

    private static int rel(CaseBuilder b, int target, int length) {
        return target - ((int) (b.here() - Layout.CODE_VA) + length);
    }

    private static void jcc(CaseBuilder b) {
        int cc = b.rnd.nextInt(16);
        if (b.rnd.nextInt(3) == 0) {
            int bits = b.rnd.nextBoolean() ? 64 : 32;
            Operand.Reg x = b.reg(bits);
            Operand.Reg y = b.reg(bits);
            if (b.rnd.nextInt(3) == 0) {
                b.set(y, b.get(x));
            }
            b.emit(b.sized(new Asm(), bits).op(0x39).reg(y).rm(x));
            b.say("CMP " + x.name() + "," + y.name() + ";");
            b.next();
        }
        boolean hint = b.rnd.nextInt(8) == 0;
        int pre = hint ? 1 : 0;
        boolean near8 = b.rnd.nextBoolean();
        int length = pre + (near8 ? 2 : 6);
        int t = target(b, length, near8);
        int rel = rel(b, t, length);
        Asm a = new Asm();
        if (hint) {
            a.prefix(b.rnd.nextBoolean() ? 0x2E : 0x3E);
        }
        if (near8) {
            a.op(0x70 + cc).imm(rel, 1);
        } else {
            a.op(0x0F, 0x80 + cc).imm(rel, 4);
        }
        b.say("J" + Cond.NAMES[cc] + (near8 ? " rel8" : " rel32") + " -> 0x" + Integer.toHexString(t));
        b.end(t).emit(a);
    }

    private static void jmpCall(CaseBuilder b) {
        int which = b.rnd.nextInt(3);
        boolean near8 = which == 0;
        int length = near8 ? 2 : 5;
        int t = target(b, length, near8);
        int rel = rel(b, t, length);
        Asm a = new Asm();
        switch (which) {
            case 0 -> a.op(0xEB).imm(rel, 1);
            case 1 -> a.op(0xE9).imm(rel, 4);
            default -> a.op(0xE8).imm(rel, 4);
        }
        b.say(new String[] {"JMP rel8", "JMP rel32", "CALL rel32"}[which] + " -> 0x" + Integer.toHexString(t));
        b.end(t).emit(a);
    }

    private static void ret(CaseBuilder b) {
        boolean imm = b.rnd.nextBoolean();
        int length = imm ? 3 : 1;
        int t = target(b, length, false);
        b.poke(b.regs[Operand.RSP], Layout.CODE_VA + t, 8);
        Asm a = new Asm();
        int pop = b.rnd.nextInt(3) == 0 ? b.rnd.nextInt(0x10000) : 8 * b.rnd.nextInt(8);
        if (imm) {
            a.op(0xC2).imm(pop, 2);
        } else {
            a.op(0xC3);
        }
        b.say((imm ? "RET " + pop : "RET") + " -> 0x" + Integer.toHexString(t));
        b.end(t).emit(a);
    }

    private static void loop(CaseBuilder b) {
        int which = b.rnd.nextInt(4);
        boolean addr32 = b.rnd.nextInt(4) == 0;
        long[] counts = {0, 1, 2, 3, 0x100000000L, 0x100000001L, -1L, 0xFFFFFFFFL};
        long rcx = b.rnd.nextInt(3) == 0 ? b.rnd.nextLong() : counts[b.rnd.nextInt(counts.length)];
        b.pin(1, rcx);
        int length = addr32 ? 3 : 2;
        int t = target(b, length, true);
        Asm a = new Asm();
        if (addr32) {
            a.prefix(0x67);
        }
        a.op(new int[] {0xE0, 0xE1, 0xE2, 0xE3}[which]).imm(rel(b, t, length), 1);
        String[] names = {"LOOPNE", "LOOPE", "LOOP", addr32 ? "JECXZ" : "JRCXZ"};
        b.say(names[which] + (addr32 ? " (ecx)" : "") + " rcx=0x" + Long.toHexString(rcx) + " -> 0x"
                + Integer.toHexString(t));
        b.end(t).emit(a);
    }

    private static void indirect(CaseBuilder b) {
        boolean call = b.rnd.nextBoolean();
        boolean mem = b.rnd.nextBoolean();
        Asm a = new Asm().op(0xFF).ext(call ? 2 : 4);
        // The encoding's length depends on the operand's form, so place the target first, clear of the longest one.
        int t = target(b, 15, false);
        long dest = Layout.CODE_VA + t;
        Operand rm;
        if (mem) {
            long va = b.target(8);
            b.poke(va, dest, 8);
            rm = b.memAt(va, true);
        } else {
            Operand.Reg r = b.regNoValue(64);
            b.set(r, dest);
            b.pin(r.num());
            rm = r;
        }
        a.rm(rm);
        b.say((call ? "CALL " : "JMP ") + Generator.text(rm) + " -> 0x" + Integer.toHexString(t));
        b.end(t).emit(a);
    }
}
