package org.jkvm.softcpu.oracle;

import org.jkvm.softcpu.oracle.CpuFeatures.Feature;

/**
 * BT BTS BTR BTC (register and imm8 offsets; register and memory operands, including memory bit offsets that
 * reach kilobytes before or after the operand, with LOCK), BSF BSR, LZCNT TZCNT POPCNT and BSWAP.
 */
final class BitGen implements Generator {
    private static final String[] BT = {"BT", "BTS", "BTR", "BTC"};

    @Override
    public String name() {
        return "BITS";
    }

    @Override
    public void generate(CaseBuilder b) {
        int kind = b.rnd.nextInt(100);
        if (kind < 45) {
            bitTest(b, b.size(true), b.rnd.nextInt(4));
        } else if (kind < 75) {
            scan(b, b.size(true), b.rnd.nextInt(5));
        } else {
            bswap(b, b.rnd.nextBoolean() ? 64 : 32);
        }
    }

    private static void bitTest(CaseBuilder b, int bits, int op) {
        int bytes = bits / 8;
        boolean imm = b.rnd.nextInt(3) == 0;
        boolean mem = b.rnd.nextInt(2) == 0;
        Asm a = b.sized(new Asm(), bits);
        Operand rm;
        String offsetText;
        if (imm) {
            int bit = b.rnd.nextInt(256);
            rm = b.rm(bits, mem ? 100 : 0);
            a.op(0x0F, 0xBA).ext(4 + op).rm(rm).imm(bit, 1);
            offsetText = "imm=" + bit;
        } else {
            Operand.Reg off = b.regNoValue(bits);
            if (mem) {
                long ea = b.target(bytes);
                // The offset register is signed at the operand size: 16-bit offsets reach +-4 KiB.
                long limit = bits == 16 ? 2047 : Long.MAX_VALUE;
                long lowK = Math.max(-limit, -(ea - Layout.DATA_VA) / bytes);
                long highK = Math.min(limit, (Layout.DATA_VA + Layout.DATA_SIZE - bytes - ea) / bytes);
                long k = b.rnd.nextInt(3) == 0 ? 0 : lowK + b.rnd.nextLong(highK - lowK + 1);
                long offset = k * bits + b.rnd.nextInt(bits);
                b.set(off, offset);
                b.pin(off.num());
                b.pokeRandom(ea + k * bytes, bytes);
                b.pokeRandom(ea, bytes);
                rm = b.memAt(ea, true);
                offsetText = "offset=" + offset;
            } else {
                b.set(off, b.rnd.nextBoolean() ? Values.count(b.rnd, bits) : Values.of(b.rnd, bits));
                rm = b.rm(bits, 0);
                offsetText = off.name();
            }
            a.op(0x0F, 0xA3 + 8 * op).reg(off).rm(rm);
        }
        if (op != 0) {
            AluGen.lock(b, a, rm, true);
        }
        b.flags(FlagRules.STATUS, FlagRules.OF | FlagRules.SF | FlagRules.ZF | FlagRules.AF | FlagRules.PF);
        b.say(BT[op] + " " + Generator.text(rm) + "," + offsetText);
        b.emit(b.maybeRex(a));
    }

    /** 0 BSF, 1 BSR, 2 TZCNT, 3 LZCNT, 4 POPCNT (the last three fall back to BSF/BSR where absent). */
    private static void scan(CaseBuilder b, int bits, int which) {
        if (which == 2 && !b.features.has(Feature.BMI1) || which == 3 && !b.features.has(Feature.LZCNT)
                || which == 4 && !b.features.has(Feature.POPCNT)) {
            which &= 1;
        }
        Asm a = new Asm();
        if (bits == 16) {
            a.prefix(0x66);
        }
        if (which >= 2) {
            a.prefix(0xF3);
        }
        if (bits == 64) {
            a.rexW();
        }
        Operand.Reg dst = b.reg(bits);
        long src = b.rnd.nextInt(8) == 0 ? 0 : Values.of(b.rnd, bits);
        if (b.rnd.nextInt(6) == 0) {
            src = 1L << b.rnd.nextInt(bits);
        }
        Operand rm;
        if (b.rnd.nextInt(10) < 4) {
            long t = b.target(bits / 8);
            b.poke(t, src, bits / 8);
            rm = b.memAt(t, true);
        } else {
            Operand.Reg s = b.regNoValue(bits);
            b.set(s, src);
            b.pin(s.num());
            rm = s;
        }
        int[] ops = {0xBC, 0xBD, 0xBC, 0xBD, 0xB8};
        a.op(0x0F, ops[which]).reg(dst).rm(rm);
        String[] names = {"BSF", "BSR", "TZCNT", "LZCNT", "POPCNT"};
        long undefined = switch (which) {
            case 0, 1 -> FlagRules.CF | FlagRules.OF | FlagRules.SF | FlagRules.AF | FlagRules.PF;
            case 2, 3 -> FlagRules.OF | FlagRules.SF | FlagRules.AF | FlagRules.PF;
            default -> 0;
        };
        b.flags(FlagRules.STATUS, undefined);
        if (which < 2 && src == 0) {
            // Intel SDM: BSF/BSR leave the destination undefined when the source is 0.
            b.regMask &= ~(1 << dst.num());
        }
        b.say(names[which] + " " + dst.name() + "," + Generator.text(rm) + " src=0x" + Long.toHexString(src));
        b.emit(a);
    }

    private static void bswap(CaseBuilder b, int bits) {
        Operand.Reg r = b.reg(bits);
        Asm a = new Asm().op(0x0F, 0xC8).opReg(r);
        if (bits == 64) {
            a.rexW();
        }
        b.say("BSWAP " + r.name());
        b.emit(b.maybeRex(a));
    }
}
