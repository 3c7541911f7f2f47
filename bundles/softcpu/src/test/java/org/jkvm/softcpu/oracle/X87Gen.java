package org.jkvm.softcpu.oracle;

import java.util.SplittableRandom;

/**
 * x87 cases: a random x87 state (control word with every precision and rounding control and sometimes unmasked
 * exceptions, TOP, some registers empty, values of every class; see {@link FpuState}) and one to three x87
 * instructions: arithmetic and comparisons with every operand form, loads and stores of every format, the stack and
 * unary operations, FCMOVcc, the constants, FLDCW/FNSTCW/FNSTSW/FNCLEX/FNINIT/FWAIT, and the transcendental
 * instructions on the ranges where they are defined (compared within one unit in the last place, C1 not compared).
 */
final class X87Gen implements Generator {
    private static final int C1 = 1 << 9;

    private static final boolean EXACT = Boolean.getBoolean("oracle.exactTranscendentals");

    @Override
    public String name() {
        return "X87";
    }

    @Override
    public void generate(CaseBuilder b) {
        FpuState st = FpuState.random(b.rnd);
        int n = b.rnd.nextInt(4) == 0 ? 2 + b.rnd.nextInt(2) : 1;
        int[] compare = {0, 0};
        for (int k = 0; k < n && compare[1] == 0; k++) {
            // A transcendental instruction ends the case: later ones would read its inexact result or C1.
            b.next();
            one(b, st, k == 0, compare);
        }
        b.fpu = new FpuCase(st.image(), compare[0], Math.max(0, compare[1]));
        // Unmasked exceptions (#MF, #XM) and misaligned 16-byte operands (#GP) are part of the class.
        b.say(CaseBuilder.MAY_FAULT);
    }

    private static void one(CaseBuilder b, FpuState st, boolean first, int[] compare) {
        SplittableRandom r = b.rnd;
        switch (r.nextInt(20)) {
            case 0, 1, 2, 3 -> arithReg(b, r);
            case 4, 5, 6 -> arithMem(b, r);
            case 7, 8 -> compareReg(b, r);
            case 9, 10 -> load(b, r);
            case 11, 12 -> store(b, r);
            case 13, 14, 15 -> unary(b, r);
            case 16 -> fcmov(b, r);
            case 17 -> transcendental(b, r, st, first, compare);
            default -> control(b, r);
        }
    }

    private static void reg2(CaseBuilder b, int op, int modrm, String text) {
        b.say(text);
        b.emitBytes(op, modrm);
    }

    private static void arithReg(CaseBuilder b, SplittableRandom r) {
        int op = new int[] {0xD8, 0xDC, 0xDE}[r.nextInt(3)];
        int reg = new int[] {0, 1, 4, 5, 6, 7, 2, 3}[r.nextInt(op == 0xD8 ? 8 : 6)];
        int i = r.nextInt(8);
        String[] n = {"FADD", "FMUL", "FCOM", "FCOMP", "FSUB", "FSUBR", "FDIV", "FDIVR"};
        reg2(b, op, 0xC0 | reg << 3 | i, String.format("%s%s st(i=%d) [%02X]", n[reg], op == 0xDE ? "P" : "", i,
                op));
    }

    /** A memory operand with a value of {@code bytes} (2, 4, 8, 10) in the format the instruction reads. */
    private static Operand.Mem operand(CaseBuilder b, int bytes, int kind) {
        long va = b.target(bytes);
        SplittableRandom r = b.rnd;
        switch (kind) {
            case 0 -> b.poke(va, FpValues.f32(r), 4);
            case 1 -> b.poke(va, FpValues.f64(r), 8);
            case 2 -> {
                long[] v = FpValues.f80(r, r.nextBoolean());
                b.poke(va, v[1], 8);
                b.poke(va + 8, v[0], 2);
            }
            case 3 -> b.poke(va, Values.of(r, bytes * 8), bytes);
            default -> b.pokeRandom(va, bytes);
        }
        return b.memAt(va, true);
    }

    private static void arithMem(CaseBuilder b, SplittableRandom r) {
        int which = r.nextInt(4);
        int op = new int[] {0xD8, 0xDC, 0xDA, 0xDE}[which];
        int reg = r.nextInt(8);
        Operand.Mem m = which == 0 ? operand(b, 4, 0) : which == 1 ? operand(b, 8, 1)
                : operand(b, which == 2 ? 4 : 2, 3);
        String[] n = {"FADD", "FMUL", "FCOM", "FCOMP", "FSUB", "FSUBR", "FDIV", "FDIVR"};
        b.say(n[reg] + " " + new String[] {"m32fp", "m64fp", "m32int", "m16int"}[which] + " " + m.text());
        b.emit(new Asm().op(op).ext(reg).rm(m));
    }

    private static void compareReg(CaseBuilder b, SplittableRandom r) {
        int i = r.nextInt(8);
        switch (r.nextInt(8)) {
            case 0 -> reg2(b, 0xDA, 0xE9, "FUCOMPP");
            case 1 -> reg2(b, 0xDE, 0xD9, "FCOMPP");
            case 2 -> reg2(b, 0xDB, 0xE8 | i, "FUCOMI st(" + i + ")");
            case 3 -> reg2(b, 0xDB, 0xF0 | i, "FCOMI st(" + i + ")");
            case 4 -> reg2(b, 0xDF, (r.nextBoolean() ? 0xE8 : 0xF0) | i, "FUCOMIP/FCOMIP st(" + i + ")");
            case 5 -> reg2(b, 0xDD, (r.nextBoolean() ? 0xE0 : 0xE8) | i, "FUCOM(P) st(" + i + ")");
            case 6 -> reg2(b, 0xD9, 0xE4, "FTST");
            default -> reg2(b, 0xD9, 0xE5, "FXAM");
        }
    }

    private static void load(CaseBuilder b, SplittableRandom r) {
        switch (r.nextInt(9)) {
            case 0 -> mem(b, 0xD9, 0, operand(b, 4, 0), "FLD m32fp");
            case 1 -> mem(b, 0xDD, 0, operand(b, 8, 1), "FLD m64fp");
            case 2 -> mem(b, 0xDB, 5, operand(b, 10, 2), "FLD m80fp");
            case 3 -> {
                int i = r.nextInt(8);
                reg2(b, 0xD9, 0xC0 | i, "FLD st(" + i + ")");
            }
            case 4 -> mem(b, 0xDF, 0, operand(b, 2, 3), "FILD m16int");
            case 5 -> mem(b, 0xDB, 0, operand(b, 4, 3), "FILD m32int");
            case 6 -> mem(b, 0xDF, 5, operand(b, 8, 3), "FILD m64int");
            case 7 -> {
                long va = b.target(10);
                long digits = 0;
                for (int k = 0; k < 16; k++) {
                    digits |= (long) r.nextInt(10) << (4 * k);
                }
                b.poke(va, digits, 8);
                b.poke(va + 8, r.nextInt(100) / 10 << 4 | r.nextInt(10) | (r.nextBoolean() ? 0x8000 : 0), 2);
                mem(b, 0xDF, 4, b.memAt(va, true), "FBLD m80bcd");
            }
            default -> {
                int k = r.nextInt(7);
                reg2(b, 0xD9, 0xE8 | k, "FLD const " + k);
            }
        }
    }

    private static void mem(CaseBuilder b, int op, int reg, Operand.Mem m, String text) {
        b.say(text + " " + m.text());
        b.emit(new Asm().op(op).ext(reg).rm(m));
    }

    private static void store(CaseBuilder b, SplittableRandom r) {
        int i = r.nextInt(8);
        switch (r.nextInt(12)) {
            case 0 -> mem(b, 0xD9, 2 + r.nextInt(2), operand(b, 4, 4), "FST(P) m32fp");
            case 1 -> mem(b, 0xDD, 2 + r.nextInt(2), operand(b, 8, 4), "FST(P) m64fp");
            case 2 -> mem(b, 0xDB, 7, operand(b, 10, 4), "FSTP m80fp");
            case 3 -> reg2(b, 0xDD, (r.nextBoolean() ? 0xD0 : 0xD8) | i, "FST(P) st(" + i + ")");
            case 4 -> mem(b, 0xDF, 2 + r.nextInt(2), operand(b, 2, 4), "FIST(P) m16int");
            case 5 -> mem(b, 0xDB, 2 + r.nextInt(2), operand(b, 4, 4), "FIST(P) m32int");
            case 6 -> mem(b, 0xDF, 7, operand(b, 8, 4), "FISTP m64int");
            case 7 -> mem(b, 0xDF, 1, operand(b, 2, 4), "FISTTP m16int");
            case 8 -> mem(b, 0xDB, 1, operand(b, 4, 4), "FISTTP m32int");
            case 9 -> mem(b, 0xDD, 1, operand(b, 8, 4), "FISTTP m64int");
            case 10 -> mem(b, 0xDF, 6, operand(b, 10, 4), "FBSTP m80bcd");
            default -> mem(b, 0xD9, 3, operand(b, 4, 4), "FSTP m32fp");
        }
    }

    private static void unary(CaseBuilder b, SplittableRandom r) {
        int i = r.nextInt(8);
        int[] d9 = {0xE0, 0xE1, 0xFA, 0xFC, 0xFD, 0xF4, 0xF8, 0xF5, 0xF6, 0xF7, 0xD0};
        String[] names = {"FCHS", "FABS", "FSQRT", "FRNDINT", "FSCALE", "FXTRACT", "FPREM", "FPREM1", "FDECSTP",
            "FINCSTP", "FNOP"};
        switch (r.nextInt(14)) {
            case 0 -> reg2(b, 0xD9, 0xC8 | i, "FXCH st(" + i + ")");
            case 1 -> reg2(b, 0xDD, 0xC0 | i, "FFREE st(" + i + ")");
            case 2 -> reg2(b, 0xDF, 0xC0 | i, "FFREEP st(" + i + ")");
            default -> {
                int k = r.nextInt(d9.length);
                reg2(b, 0xD9, d9[k], names[k]);
            }
        }
    }

    private static void fcmov(CaseBuilder b, SplittableRandom r) {
        int i = r.nextInt(8);
        int cc = r.nextInt(8);
        reg2(b, cc < 4 ? 0xDA : 0xDB, 0xC0 | (cc & 3) << 3 | i, "FCMOVcc " + cc + " st(" + i + ")");
    }

    /**
     * A transcendental instruction (the first of the case only: its operands are set in the state) with ST(0), and
     * ST(1) for the two-operand ones, in the instruction's defined range.
     */
    private static void transcendental(CaseBuilder b, SplittableRandom r, FpuState st, boolean first,
                                       int[] compare) {
        if (!first) {
            control(b, r);
            return;
        }
        int[] ops = {0xF0, 0xF1, 0xF2, 0xF3, 0xF9, 0xFB, 0xFE, 0xFF};
        String[] names = {"F2XM1", "FYL2X", "FPTAN", "FPATAN", "FYL2XP1", "FSINCOS", "FSIN", "FCOS"};
        int k = r.nextInt(ops.length);
        int p0 = st.top;
        int p1 = (st.top + 1) & 7;
        st.tags |= 1 << p0 | 1 << p1;
        // F2XM1 and FYL2XP1 are undefined outside their ranges: always in range; the others sometimes not.
        if (k == 0 || k == 4 || r.nextInt(8) != 0) {
            int exp;
            switch (k) {
                case 0 -> exp = r.nextInt(-64, 0);
                case 4 -> exp = r.nextInt(-64, -2);
                case 1 -> exp = r.nextInt(-40, 40);
                default -> exp = r.nextInt(-40, 8);
            }
            st.se[p0] = (k == 1 ? 0 : r.nextBoolean() ? 0x8000 : 0) | 0x3fff + exp;
            st.mant[p0] = Long.MIN_VALUE | r.nextLong() >>> 1;
            long[] y = FpValues.f80(r, true);
            st.se[p1] = (int) y[0];
            st.mant[p1] = y[1];
            if ((st.fcw & 0x3f) != 0x3f) {
                st.fcw |= 0x3f;
            }
        }
        // The architecture leaves the last bit of a transcendental result (and C1, its rounding direction) to the
        // implementation: within 1 ulp by default; -Doracle.exactTranscendentals=true measures how often they differ.
        if (!EXACT) {
            compare[0] |= C1;
            compare[1] = 1;
        } else {
            compare[1] = -1;   // ends the case all the same
        }
        reg2(b, 0xD9, ops[k], names[k]);
    }

    private static void control(CaseBuilder b, SplittableRandom r) {
        switch (r.nextInt(7)) {
            case 0 -> {
                long va = b.target(2);
                int cw = r.nextInt(4) == 0 ? r.nextInt(0x10000) : 0x3f | r.nextInt(4) << 8 | r.nextInt(4) << 10;
                b.poke(va, cw, 2);
                mem(b, 0xD9, 5, b.memAt(va, true), "FLDCW 0x" + Integer.toHexString(cw));
            }
            case 1 -> mem(b, 0xD9, 7, operand(b, 2, 4), "FNSTCW");
            case 2 -> mem(b, 0xDD, 7, operand(b, 2, 4), "FNSTSW m16");
            case 3 -> {
                b.touch(0);
                reg2(b, 0xDF, 0xE0, "FNSTSW AX");
            }
            case 4 -> reg2(b, 0xDB, 0xE2, "FNCLEX");
            case 5 -> reg2(b, 0xDB, 0xE3, "FNINIT");
            default -> {
                b.say("FWAIT");
                b.emitBytes(0x9B);
            }
        }
    }
}
