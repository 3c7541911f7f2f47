package org.jkvm.softcpu.oracle;

import java.util.SplittableRandom;

/**
 * SSE/SSE2/SSE3 floating-point cases: a random MXCSR (every rounding direction, DAZ, FZ, sometimes unmasked
 * exceptions, which then raise #XM) and XMM registers of every class (see {@link FpuState}), then one or two of:
 * the arithmetic (ADD SUB MUL DIV MIN MAX SQRT, packed and scalar, single and double; RCP and RSQRT are left out:
 * the architecture fixes only their error bound), CMPPS-family predicates, COMIS/UCOMIS, ADDSUB/HADD/HSUB, the
 * conversions (integer, MMX and between precisions), the logic operations, LDMXCSR/STMXCSR. Memory operands of
 * the packed forms are usually 16-byte aligned and otherwise raise #GP.
 */
final class SseGen implements Generator {
    private static final int[] PREFIX = {0, 0x66, 0xF3, 0xF2};

    @Override
    public String name() {
        return "SSE";
    }

    @Override
    public void generate(CaseBuilder b) {
        FpuState st = FpuState.random(b.rnd);
        int n = b.rnd.nextInt(4) == 0 ? 2 : 1;
        for (int k = 0; k < n; k++) {
            b.next();
            one(b, b.rnd);
        }
        b.fpu = new FpuCase(st.image(), 0, 0);
        // Unmasked exceptions (#MF, #XM) and misaligned 16-byte operands (#GP) are part of the class.
        b.say(CaseBuilder.MAY_FAULT);
    }

    private static void one(CaseBuilder b, SplittableRandom r) {
        switch (r.nextInt(16)) {
            case 0, 1, 2, 3, 4, 5 -> arith(b, r);
            case 6, 7 -> cmp(b, r);
            case 8 -> comi(b, r);
            case 9 -> sse3(b, r);
            case 10, 11, 12, 13 -> SimdGen.convert(b, r);
            case 14 -> logic(b, r);
            default -> mxcsr(b, r);
        }
    }

    /** An XMM register operand. */
    static Operand.Reg xmm(SplittableRandom r) {
        return Operand.Reg.of(r.nextInt(16), 32);
    }

    /** 0F {@code op} with mandatory prefix index {@code p} (0 none, 1 66, 2 F3, 3 F2). */
    static Asm asm(int p, int... op) {
        Asm a = new Asm();
        if (p != 0) {
            a.prefix(PREFIX[p]);
        }
        a.op(0x0F);
        return a.op(op);
    }

    /**
     * The r/m source: an XMM register, or memory of {@code bytes} bytes holding floating-point values (16-byte
     * operands usually aligned).
     */
    static Operand src(CaseBuilder b, SplittableRandom r, int bytes) {
        if (r.nextInt(3) != 0) {
            return xmm(r);
        }
        return data(b, r, bytes);
    }

    /** A memory operand of {@code bytes} bytes with floating-point or integer values. */
    static Operand.Mem data(CaseBuilder b, SplittableRandom r, int bytes) {
        long va = bytes == 16 && r.nextInt(8) != 0
                ? Layout.DATA_VA + 16L * r.nextInt(Layout.DATA_SIZE / 16 - 1) : b.target(bytes);
        boolean singles = r.nextBoolean();
        for (int off = 0; off < bytes; off += 8) {
            int n = Math.min(8, bytes - off);
            long v = n < 8 || singles ? FpValues.f32(r) & 0xffffffffL | (long) FpValues.f32(r) << 32
                    : r.nextInt(5) == 0 ? Values.of(r, 64) : FpValues.f64(r);
            b.poke(va + off, v, n);
        }
        return b.memAt(va, true);
    }

    /** The operand size of form {@code p}: packed 16 bytes, scalar single 4, scalar double 8. */
    static int bytes(int p) {
        return p < 2 ? 16 : p == 2 ? 4 : 8;
    }

    private static void arith(CaseBuilder b, SplittableRandom r) {
        int[] ops = {0x51, 0x58, 0x59, 0x5C, 0x5D, 0x5E, 0x5F};
        String[] names = {"SQRT", "ADD", "MUL", "SUB", "MIN", "DIV", "MAX"};
        int k = r.nextInt(ops.length);
        int p = r.nextInt(4);
        Operand.Reg dst = xmm(r);
        Operand s = src(b, r, bytes(p));
        b.say(names[k] + new String[] {"PS", "PD", "SS", "SD"}[p] + " xmm" + dst.num() + "," + text(s));
        b.emit(asm(p, ops[k]).reg(dst).rm(s));
    }

    static String text(Operand o) {
        return o instanceof Operand.Reg x ? "xmm" + x.num() : ((Operand.Mem) o).text();
    }

    private static void cmp(CaseBuilder b, SplittableRandom r) {
        int p = r.nextInt(4);
        int imm = r.nextInt(8) == 0 ? r.nextInt(256) : r.nextInt(8);
        Operand.Reg dst = xmm(r);
        Operand s = src(b, r, bytes(p));
        b.say("CMP" + new String[] {"PS", "PD", "SS", "SD"}[p] + " xmm" + dst.num() + "," + text(s) + "," + imm);
        b.emit(asm(p, 0xC2).reg(dst).rm(s).imm(imm, 1));
    }

    private static void comi(CaseBuilder b, SplittableRandom r) {
        boolean dbl = r.nextBoolean();
        boolean signal = r.nextBoolean();
        Operand.Reg dst = xmm(r);
        Operand s = src(b, r, dbl ? 8 : 4);
        b.say((signal ? "COMIS" : "UCOMIS") + (dbl ? "D" : "S") + " xmm" + dst.num() + "," + text(s));
        b.emit(asm(dbl ? 1 : 0, signal ? 0x2F : 0x2E).reg(dst).rm(s));
    }

    private static void sse3(CaseBuilder b, SplittableRandom r) {
        int op = new int[] {0xD0, 0x7C, 0x7D}[r.nextInt(3)];
        int p = r.nextBoolean() ? 1 : 3;
        Operand.Reg dst = xmm(r);
        Operand s = src(b, r, 16);
        b.say(new String[] {"ADDSUB", "HADD", "HSUB"}[op == 0xD0 ? 0 : op - 0x7B] + (p == 1 ? "PD" : "PS")
                + " xmm" + dst.num() + "," + text(s));
        b.emit(asm(p, op).reg(dst).rm(s));
    }

    private static void logic(CaseBuilder b, SplittableRandom r) {
        int op = 0x54 + r.nextInt(4);
        int p = r.nextInt(2);
        Operand.Reg dst = xmm(r);
        Operand s = src(b, r, 16);
        b.say(new String[] {"AND", "ANDN", "OR", "XOR"}[op - 0x54] + (p == 1 ? "PD" : "PS") + " xmm" + dst.num()
                + "," + text(s));
        b.emit(asm(p, op).reg(dst).rm(s));
    }

    private static void mxcsr(CaseBuilder b, SplittableRandom r) {
        long va = b.target(4);
        boolean load = r.nextBoolean();
        long v = r.nextInt(6) == 0 ? r.nextInt() & 0x3ffff : r.nextInt(0x10000);
        b.poke(va, v, 4);
        Operand.Mem m = b.memAt(va, true);
        b.say((load ? "LDMXCSR 0x" + Long.toHexString(v) + " " : "STMXCSR ") + m.text());
        b.emit(new Asm().op(0x0F, 0xAE).ext(load ? 2 : 3).rm(m));
    }
}
