package org.jkvm.softcpu.oracle;

import java.math.BigInteger;
import java.util.SplittableRandom;

/**
 * MUL and IMUL (one operand into AX/DX:AX/EDX:EAX/RDX:RAX, two operands, three operands with imm8 or imm16/32),
 * DIV and IDIV: mostly dividends whose quotient fits, plus #DE cases (zero divisor, quotient overflow including
 * the most negative dividend divided by -1) and divisors that are AL/AH/RAX/RDX themselves.
 */
final class MulDivGen implements Generator {
    private static final long MUL_UNDEFINED = FlagRules.SF | FlagRules.ZF | FlagRules.AF | FlagRules.PF;

    @Override
    public String name() {
        return "MULDIV";
    }

    @Override
    public void generate(CaseBuilder b) {
        int kind = b.rnd.nextInt(100);
        if (kind < 25) {
            mulOne(b, b.size(false), b.rnd.nextBoolean());
        } else if (kind < 45) {
            imulMulti(b, b.size(true));
        } else {
            div(b, b.size(false), b.rnd.nextBoolean());
        }
    }

    private static void mulOne(CaseBuilder b, int bits, boolean signed) {
        b.set(Operand.Reg.of(0, bits), Values.of(b.rnd, bits));
        Operand rm = b.rm(bits, 40);
        Asm a = b.sized(new Asm(), bits).op(bits == 8 ? 0xF6 : 0xF7).ext(signed ? 5 : 4).rm(rm);
        b.flags(FlagRules.STATUS, MUL_UNDEFINED);
        b.say((signed ? "IMUL " : "MUL ") + Generator.text(rm));
        b.emit(b.maybeRex(a));
    }

    private static void imulMulti(CaseBuilder b, int bits) {
        Asm a = b.sized(new Asm(), bits);
        Operand.Reg dst = b.reg(bits);
        Operand rm = b.rm(bits, 40);
        b.flags(FlagRules.STATUS, MUL_UNDEFINED);
        switch (b.rnd.nextInt(3)) {
            case 0 -> {
                a.op(0x0F, 0xAF).reg(dst).rm(rm);
                b.say("IMUL " + dst.name() + "," + Generator.text(rm));
            }
            case 1 -> {
                a.op(0x6B).reg(dst).rm(rm).imm(Values.of(b.rnd, 8), 1);
                b.say("IMUL " + dst.name() + "," + Generator.text(rm) + ",imm8");
            }
            default -> {
                int immBytes = bits == 16 ? 2 : 4;
                a.op(0x69).reg(dst).rm(rm).imm(Values.of(b.rnd, immBytes * 8), immBytes);
                b.say("IMUL " + dst.name() + "," + Generator.text(rm) + ",imm" + immBytes * 8);
            }
        }
        b.emit(b.maybeRex(a));
    }

    private static void div(CaseBuilder b, int bits, boolean signed) {
        SplittableRandom r = b.rnd;
        BigInteger[] qd = dividendAndDivisor(r, bits, signed);
        BigInteger dividend = qd[0];
        long divisor = qd[1].longValue();
        long lo = dividend.longValue();
        long hi = dividend.shiftRight(bits).longValue();
        if (bits == 8) {
            b.set(Operand.Reg.of(0, 16), lo & 0xFFFF);
            b.pin(0);
        } else {
            b.set(Operand.Reg.of(0, bits), lo);
            b.set(Operand.Reg.of(2, bits), hi);
            b.pin(0);
            b.pin(2);
        }
        Operand rm;
        boolean mayFault = qd[2].signum() != 0;
        if (r.nextInt(12) == 0) {
            mayFault = true;
            rm = bits == 8 ? new Operand.Reg(0, 8, r.nextBoolean()) : Operand.Reg.of(r.nextBoolean() ? 0 : 2, bits);
        } else if (r.nextInt(10) < 4) {
            long t = b.target(bits / 8);
            b.poke(t, divisor, bits / 8);
            rm = b.memAt(t, true);
        } else {
            Operand.Reg reg = b.regNoValue(bits);
            b.set(reg, divisor);
            rm = reg;
        }
        Asm a = b.sized(new Asm(), bits).op(bits == 8 ? 0xF6 : 0xF7).ext(signed ? 7 : 6).rm(rm);
        b.flags(FlagRules.STATUS, FlagRules.STATUS);
        b.say((signed ? "IDIV " : "DIV ") + Generator.text(rm) + (mayFault ? " " + CaseBuilder.MAY_FAULT : ""));
        b.emit(a);
    }

    /**
     * A dividend (2 x bits wide, as an unsigned pattern), a divisor and whether the division may fault: mostly with
     * a quotient that fits, 5% zero divisor, 5% overflowing quotient, 2.5% random.
     */
    private static BigInteger[] dividendAndDivisor(SplittableRandom r, int bits, boolean signed) {
        BigInteger mod = BigInteger.ONE.shiftLeft(2 * bits);
        long d = Values.of(r, bits);
        int kind = r.nextInt(20);
        if (kind == 0) {
            return new BigInteger[] {new BigInteger(2 * bits, new java.util.Random(r.nextLong())), BigInteger.ZERO,
                BigInteger.ONE};
        }
        if (d == 0) {
            d = 1 + r.nextInt(100);
        }
        BigInteger div = signed ? BigInteger.valueOf(Values.signExtend(d, bits)) : unsigned(d, bits);
        BigInteger dividend;
        boolean mayFault = kind <= 2;
        if (kind == 1) {
            if (signed && r.nextBoolean()) {
                div = BigInteger.ONE.negate();
                dividend = BigInteger.ONE.shiftLeft(2 * bits - 1).negate();
                if (r.nextBoolean()) {
                    dividend = BigInteger.ONE.shiftLeft(bits - 1);
                }
            } else {
                BigInteger q = BigInteger.ONE.shiftLeft(bits).add(BigInteger.valueOf(r.nextInt(1000)));
                dividend = q.multiply(div.abs());
            }
        } else if (kind == 2 && r.nextBoolean()) {
            dividend = new BigInteger(2 * bits, new java.util.Random(r.nextLong()));
        } else {
            BigInteger q = signed ? BigInteger.valueOf(Values.signExtend(Values.of(r, bits), bits))
                    : unsigned(Values.of(r, bits), bits);
            BigInteger rem = unsigned(r.nextLong(), 64).mod(div.abs());
            dividend = q.multiply(div);
            if (signed && (dividend.signum() < 0 || dividend.signum() == 0 && r.nextBoolean())) {
                rem = rem.negate();
            }
            dividend = dividend.add(rem);
            if (signed ? dividend.bitLength() >= 2 * bits : dividend.bitLength() > 2 * bits) {
                dividend = q.multiply(div);
            }
        }
        return new BigInteger[] {dividend.mod(mod), div.mod(BigInteger.ONE.shiftLeft(bits)),
            mayFault ? BigInteger.ONE : BigInteger.ZERO};
    }

    private static BigInteger unsigned(long v, int bits) {
        return new BigInteger(Long.toUnsignedString(v)).mod(BigInteger.ONE.shiftLeft(bits));
    }
}
