package org.jkvm.softcpu.oracle;

/**
 * ROL ROR RCL RCR SHL SHR SAR by 1 (D0/D1), by CL (D2/D3) and by imm8 (C0/C1), every operand size, counts 0, 1,
 * size-1, size, above 31/63 (masked) and random; SHLD/SHRD by imm8 and CL (16-bit counts above 16 excluded: their
 * result is undefined).
 */
final class ShiftGen implements Generator {
    private static final String[] NAMES = {"ROL", "ROR", "RCL", "RCR", "SHL", "SHR", "SAL", "SAR"};
    private static final int[] EXTS = {0, 1, 2, 3, 4, 5, 7};

    @Override
    public String name() {
        return "SHIFT";
    }

    @Override
    public void generate(CaseBuilder b) {
        if (b.rnd.nextInt(100) < 75) {
            shift(b, b.size(false), EXTS[b.rnd.nextInt(EXTS.length)]);
        } else {
            doubleShift(b, b.size(true), b.rnd.nextBoolean());
        }
    }

    private static void shift(CaseBuilder b, int bits, int ext) {
        int how = b.rnd.nextInt(3);
        int count = how == 0 ? 1 : Values.count(b.rnd, bits);
        if (how == 1) {
            b.set(Operand.Reg.of(1, 8), count);
            b.pin(1);
        }
        Operand rm = b.rm(bits, 35);
        boolean w = bits != 8;
        Asm a = b.sized(new Asm(), bits).ext(ext).rm(rm);
        switch (how) {
            case 0 -> a.op(w ? 0xD1 : 0xD0);
            case 1 -> a.op(w ? 0xD3 : 0xD2);
            default -> a.op(w ? 0xC1 : 0xC0).imm(count, 1);
        }
        int masked = count & (bits == 64 ? 63 : 31);
        b.flags(FlagRules.shiftWritten(ext, masked), FlagRules.shiftUndefined(ext, masked, bits));
        b.say(NAMES[ext] + " " + Generator.text(rm) + (how == 0 ? ",1" : how == 1 ? ",cl=" + count : ",imm=" + count));
        b.emit(b.maybeRex(a));
    }

    private static void doubleShift(CaseBuilder b, int bits, boolean left) {
        boolean byCl = b.rnd.nextBoolean();
        int count = Values.count(b.rnd, bits);
        if (bits == 16 && (count & 31) > 16) {
            count &= 15;
        }
        if (byCl) {
            b.set(Operand.Reg.of(1, 8), count);
            b.pin(1);
        }
        Operand.Reg src = b.reg(bits);
        Operand rm = b.rm(bits, 35);
        Asm a = b.sized(new Asm(), bits).op(0x0F, (left ? 0xA4 : 0xAC) + (byCl ? 1 : 0)).reg(src).rm(rm);
        if (!byCl) {
            a.imm(count, 1);
        }
        int masked = count & (bits == 64 ? 63 : 31);
        b.flags(masked == 0 ? 0 : FlagRules.STATUS, FlagRules.doubleShiftUndefined(masked));
        b.say((left ? "SHLD " : "SHRD ") + Generator.text(rm) + "," + src.name() + (byCl ? ",cl=" : ",imm=") + count);
        b.emit(b.maybeRex(a));
    }
}
