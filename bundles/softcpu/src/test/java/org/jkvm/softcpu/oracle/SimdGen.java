package org.jkvm.softcpu.oracle;

import java.util.SplittableRandom;

/**
 * MMX and SSE2 integer, move and shuffle cases (and the SSE conversions for {@link SseGen}): the packed-integer
 * operations on MMX registers (no prefix) and XMM registers (66), every data move (whole, scalar, halves,
 * duplicates, MOVD/MOVQ with general registers, MOVQ2DQ/MOVDQ2Q, non-temporal stores, MOVMSK/PMOVMSKB), the
 * shuffles, immediate shifts, PINSRW/PEXTRW, MASKMOVQ/MASKMOVDQU and EMMS. MMX cases also check what MMX use does
 * to the x87 state (TOP = 0, tags valid, exponents all ones).
 */
final class SimdGen implements Generator {
    /** The packed-integer opcodes (0F xx) that take MMX and XMM forms. */
    private static final int[] INT_OPS = {0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B,
        0x74, 0x75, 0x76, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF, 0xE0, 0xE1,
        0xE2, 0xE3, 0xE4, 0xE5, 0xE8, 0xE9, 0xEA, 0xEB, 0xEC, 0xED, 0xEE, 0xEF, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6,
        0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE};

    @Override
    public String name() {
        return "SIMD";
    }

    @Override
    public void generate(CaseBuilder b) {
        FpuState st = FpuState.random(b.rnd);
        int n = b.rnd.nextInt(4) == 0 ? 2 : 1;
        for (int k = 0; k < n; k++) {
            b.next();
            switch (b.rnd.nextInt(8)) {
                case 0, 1, 2 -> integer(b, b.rnd);
                case 3, 4 -> move(b, b.rnd);
                case 5, 6 -> shuffle(b, b.rnd);
                default -> misc(b, b.rnd);
            }
        }
        b.fpu = new FpuCase(st.image(), 0, 0);
        // Unmasked exceptions (#MF, #XM) and misaligned 16-byte operands (#GP) are part of the class.
        b.say(CaseBuilder.MAY_FAULT);
    }

    private static Operand.Reg mm(SplittableRandom r) {
        return Operand.Reg.of(r.nextInt(8), 32);
    }

    /** An MMX register or 8 bytes of memory. */
    private static Operand mmSrc(CaseBuilder b, SplittableRandom r) {
        if (r.nextInt(3) != 0) {
            return mm(r);
        }
        long va = b.target(8);
        b.poke(va, Values.of(r, 64), 8);
        return b.memAt(va, true);
    }

    private static String text(Operand o, boolean x) {
        return o instanceof Operand.Reg g ? (x ? "xmm" : "mm") + g.num() : ((Operand.Mem) o).text();
    }

    private static void integer(CaseBuilder b, SplittableRandom r) {
        int op = INT_OPS[r.nextInt(INT_OPS.length)];
        boolean x = r.nextInt(3) != 0;
        if (x && r.nextInt(10) == 0) {
            op = 0x6C + r.nextInt(2);
        }
        Operand.Reg dst = x ? SseGen.xmm(r) : mm(r);
        Operand s = x ? SseGen.src(b, r, 16) : mmSrc(b, r);
        b.say(String.format("0F %02X %s %s,%s", op, x ? "xmm" : "mmx", text(dst, x), text(s, x)));
        b.emit(SseGen.asm(x ? 1 : 0, op).reg(dst).rm(s));
    }

    /** Conversions: CVT(T)PS2PI, CVTPI2PS/PD, CVT(T)PD2PI, CVTSI2SS/SD, CVT(T)SS/SD2SI, 5A, 5B, E6. */
    static void convert(CaseBuilder b, SplittableRandom r) {
        int p = r.nextInt(4);
        Operand.Reg x = SseGen.xmm(r);
        switch (r.nextInt(6)) {
            case 0 -> {
                Operand s = p == 1 || r.nextBoolean() ? mmSrc(b, r) : mm(r);
                b.say("CVTPI2P" + (p == 1 ? "D" : "S") + " xmm" + x.num() + "," + text(s, false));
                b.emit(SseGen.asm(p == 1 ? 1 : 0, 0x2A).reg(x).rm(s));
            }
            case 1 -> {
                int bits = r.nextBoolean() ? 64 : 32;
                Operand s = b.rm(bits, 30);
                Asm a = SseGen.asm(2 + r.nextInt(2), 0x2A).reg(x).rm(s);
                b.say("CVTSI2S? xmm" + x.num() + "," + Generator.text(s) + (bits == 64 ? " (W)" : ""));
                b.emit(bits == 64 ? a.rexW() : a);
            }
            case 2 -> {
                boolean dbl = r.nextBoolean();
                Operand.Reg dst = mm(r);
                Operand s = SseGen.src(b, r, dbl ? 16 : 8);
                int op = 0x2C + r.nextInt(2);
                b.say("CVT" + (op == 0x2C ? "T" : "") + "P" + (dbl ? "D" : "S") + "2PI mm" + dst.num() + ","
                        + SseGen.text(s));
                b.emit(SseGen.asm(dbl ? 1 : 0, op).reg(dst).rm(s));
            }
            case 3 -> {
                int bits = r.nextBoolean() ? 64 : 32;
                Operand.Reg dst = b.regNoValue(bits);
                boolean dbl = r.nextBoolean();
                Operand s = SseGen.src(b, r, dbl ? 8 : 4);
                int op = 0x2C + r.nextInt(2);
                Asm a = SseGen.asm(dbl ? 3 : 2, op).reg(dst).rm(s);
                b.say("CVT" + (op == 0x2C ? "T" : "") + "S" + (dbl ? "D" : "S") + "2SI " + dst.name() + ","
                        + SseGen.text(s));
                b.emit(bits == 64 ? a.rexW() : a);
            }
            default -> {
                int op = new int[] {0x5A, 0x5B, 0xE6}[r.nextInt(3)];
                if ((op == 0x5B && p == 3) || (op == 0xE6 && p == 0)) {
                    p = 1;
                }
                int size = op == 0x5A ? (p == 0 ? 8 : p == 2 ? 4 : p == 3 ? 8 : 16) : op == 0xE6 && p == 2 ? 8 : 16;
                Operand s = SseGen.src(b, r, size);
                b.say(String.format("CVT %s0F %02X xmm%d,%s", new String[] {"", "66 ", "F3 ", "F2 "}[p], op, x.num(),
                        SseGen.text(s)));
                b.emit(SseGen.asm(p, op).reg(x).rm(s));
            }
        }
    }

    private static void move(CaseBuilder b, SplittableRandom r) {
        Operand.Reg x = SseGen.xmm(r);
        switch (r.nextInt(12)) {
            case 0, 1 -> {
                int op = new int[] {0x10, 0x11, 0x28, 0x29, 0x6F, 0x7F}[r.nextInt(6)];
                int p = op >= 0x6F ? 1 + r.nextInt(2) : op >= 0x28 ? r.nextInt(2) : r.nextInt(4);
                Operand s = SseGen.src(b, r, op < 0x28 && p >= 2 ? (p == 2 ? 4 : 8) : 16);
                b.say(String.format("MOV %d 0F %02X xmm%d,%s", p, op, x.num(), SseGen.text(s)));
                b.emit(SseGen.asm(p, op).reg(x).rm(s));
            }
            case 2 -> {
                int op = new int[] {0x12, 0x13, 0x16, 0x17}[r.nextInt(4)];
                int p = r.nextInt(op == 0x12 || op == 0x16 ? 4 : 2);
                boolean regOk = (op == 0x12 || op == 0x16) && p != 1;
                Operand s = regOk && r.nextBoolean() ? SseGen.xmm(r) : SseGen.data(b, r, p == 2 ? 16 : 8);
                b.say(String.format("MOV halves %d 0F %02X xmm%d,%s", p, op, x.num(), SseGen.text(s)));
                b.emit(SseGen.asm(p, op).reg(x).rm(s));
            }
            case 3 -> {
                int bits = r.nextBoolean() ? 64 : 32;
                boolean mmx = r.nextBoolean();
                Operand g = b.rm(bits, 30);
                int op = r.nextBoolean() ? 0x6E : 0x7E;
                Operand.Reg v = mmx ? mm(r) : x;
                Asm a = SseGen.asm(mmx ? 0 : 1, op).reg(v).rm(g);
                b.say("MOVD/Q 0F " + Integer.toHexString(op) + (mmx ? " mm" : " xmm") + v.num() + ","
                        + Generator.text(g));
                b.emit(bits == 64 ? a.rexW() : a);
            }
            case 4 -> {
                int form = r.nextInt(4);
                int[][] f = {{2, 0x7E}, {1, 0xD6}, {2, 0xD6}, {3, 0xD6}};
                Operand s = form < 2 ? SseGen.src(b, r, 8) : form == 2 ? mm(r) : SseGen.xmm(r);
                Operand.Reg dst = form == 3 ? mm(r) : x;
                b.say("MOVQ form " + form);
                b.emit(SseGen.asm(f[form][0], f[form][1]).reg(dst).rm(s));
            }
            case 5 -> {
                boolean store = r.nextBoolean();
                Operand.Reg v = mm(r);
                b.say("MOVQ mm " + (store ? "store" : "load"));
                b.emit(SseGen.asm(0, store ? 0x7F : 0x6F).reg(v).rm(mmSrc(b, r)));
            }
            case 6 -> {
                int op = new int[] {0x2B, 0xE7, 0xF0, 0xC3}[r.nextInt(4)];
                int p = op == 0xF0 ? 3 : op == 0xC3 ? 0 : r.nextInt(2);
                Operand.Mem m = SseGen.data(b, r, 16);
                Operand.Reg v = op == 0xC3 ? b.reg(32) : op == 0xE7 && p == 0 ? mm(r) : x;
                b.say(String.format("MOVNT/LDDQU %d 0F %02X %s", p, op, m.text()));
                b.emit(SseGen.asm(p, op).reg(v).rm(m));
            }
            case 7 -> {
                int p = r.nextInt(2);
                Operand.Reg g = b.regNoValue(32);
                boolean pmov = r.nextBoolean();
                Operand.Reg s = p == 0 && pmov ? mm(r) : SseGen.xmm(r);
                b.say((pmov ? "PMOVMSKB " : "MOVMSKP ") + p);
                b.emit(SseGen.asm(p, pmov ? 0xD7 : 0x50).reg(g).rm(s));
            }
            default -> {
                int p = 2 + r.nextInt(2);
                int op = p == 3 ? 0x12 : r.nextBoolean() ? 0x12 : 0x16;
                Operand s = SseGen.src(b, r, p == 3 ? 8 : 16);
                b.say(String.format("MOV*DUP %d 0F %02X xmm%d,%s", p, op, x.num(), SseGen.text(s)));
                b.emit(SseGen.asm(p, op).reg(x).rm(s));
            }
        }
    }

    private static void shuffle(CaseBuilder b, SplittableRandom r) {
        int imm = r.nextInt(256);
        switch (r.nextInt(6)) {
            case 0 -> {
                int p = r.nextInt(4);
                Operand.Reg d = p == 0 ? mm(r) : SseGen.xmm(r);
                Operand s = p == 0 ? mmSrc(b, r) : SseGen.src(b, r, 16);
                b.say("PSHUF form " + p + " imm " + imm);
                b.emit(SseGen.asm(p, 0x70).reg(d).rm(s).imm(imm, 1));
            }
            case 1 -> {
                int op = 0x71 + r.nextInt(3);
                int[] regs = op == 0x73 ? new int[] {2, 6, 3, 7} : new int[] {2, 4, 6};
                int ext = regs[r.nextInt(regs.length)];
                int p = ext == 3 || ext == 7 ? 1 : r.nextInt(2);
                Operand.Reg d = p == 0 ? mm(r) : SseGen.xmm(r);
                int count = r.nextInt(4) == 0 ? r.nextInt(256) : r.nextInt(20);
                b.say(String.format("shift 0F %02X /%d %s%d,%d", op, ext, p == 0 ? "mm" : "xmm", d.num(), count));
                b.emit(SseGen.asm(p, op).ext(ext).rm(d).imm(count, 1));
            }
            case 2 -> {
                boolean x = r.nextBoolean();
                Operand.Reg d = x ? SseGen.xmm(r) : mm(r);
                Operand s = r.nextBoolean() ? b.reg(32) : b.mem(2, true);
                b.say("PINSRW " + (x ? "xmm" : "mm") + d.num() + "," + Generator.text(s) + "," + imm);
                b.emit(SseGen.asm(x ? 1 : 0, 0xC4).reg(d).rm(s).imm(imm, 1));
            }
            case 3 -> {
                boolean x = r.nextBoolean();
                Operand.Reg g = b.regNoValue(32);
                Operand.Reg s = x ? SseGen.xmm(r) : mm(r);
                b.say("PEXTRW " + g.name() + "," + imm);
                b.emit(SseGen.asm(x ? 1 : 0, 0xC5).reg(g).rm(s).imm(imm, 1));
            }
            default -> {
                int op = new int[] {0xC6, 0x14, 0x15}[r.nextInt(3)];
                int p = r.nextInt(2);
                Operand.Reg d = SseGen.xmm(r);
                Operand s = SseGen.src(b, r, 16);
                b.say(String.format("SHUF/UNPCK %d 0F %02X xmm%d,%s", p, op, d.num(), SseGen.text(s)));
                Asm a = SseGen.asm(p, op).reg(d).rm(s);
                b.emit(op == 0xC6 ? a.imm(imm, 1) : a);
            }
        }
    }

    private static void misc(CaseBuilder b, SplittableRandom r) {
        if (r.nextInt(3) == 0) {
            b.say("EMMS");
            b.emitBytes(0x0F, 0x77);
            return;
        }
        boolean x = r.nextBoolean();
        if (!b.claimable(7)) {
            b.say("EMMS");
            b.emitBytes(0x0F, 0x77);
            return;
        }
        long va = b.target(16);
        b.pokeRandom(va, 16);
        b.pin(7, va);
        Operand.Reg d = x ? SseGen.xmm(r) : mm(r);
        Operand.Reg m = x ? SseGen.xmm(r) : mm(r);
        b.say((x ? "MASKMOVDQU xmm" : "MASKMOVQ mm") + d.num() + "," + m.num() + " [rdi=0x" + Long.toHexString(va)
                + "]");
        b.emit(SseGen.asm(x ? 1 : 0, 0xF7).reg(d).rm(m));
    }
}
