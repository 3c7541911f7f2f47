package org.jkvm.softcpu.oracle;

import org.jkvm.softcpu.oracle.CpuFeatures.Feature;

/**
 * SETcc and CMOVcc for all 16 conditions over random input flags (a false CMOV with a 32-bit operand still
 * zero-extends its destination, and its memory source is still read), and the flag instructions CLC STC CMC CLD STD,
 * LAHF and SAHF (when the CPUs have them in 64-bit mode).
 */
final class CondGen implements Generator {
    @Override
    public String name() {
        return "COND";
    }

    @Override
    public void generate(CaseBuilder b) {
        int kind = b.rnd.nextInt(100);
        int cc = b.rnd.nextInt(16);
        if (kind < 40) {
            Operand rm = b.rm(8, 35);
            Asm a = new Asm().op(0x0F, 0x90 + cc).ext(0).rm(rm);
            b.say("SET" + Cond.NAMES[cc] + " " + Generator.text(rm));
            b.emit(b.maybeRex(a));
        } else if (kind < 80) {
            int bits = b.size(true);
            Asm a = b.sized(new Asm(), bits);
            Operand.Reg dst = b.reg(bits);
            Operand rm = b.rm(bits, 35);
            a.op(0x0F, 0x40 + cc).reg(dst).rm(rm);
            b.say("CMOV" + Cond.NAMES[cc] + " " + dst.name() + "," + Generator.text(rm));
            b.emit(b.maybeRex(a));
        } else {
            flags(b);
        }
    }

    private static void flags(CaseBuilder b) {
        int which = b.rnd.nextInt(b.features.has(Feature.LAHF64) ? 7 : 5);
        String[] names = {"CLC", "STC", "CMC", "CLD", "STD", "LAHF", "SAHF"};
        int[] ops = {0xF8, 0xF9, 0xF5, 0xFC, 0xFD, 0x9F, 0x9E};
        if (which >= 5) {
            b.set(new Operand.Reg(0, 8, true), Values.of(b.rnd, 8));
        }
        b.say(names[which]).emitBytes(ops[which]);
    }
}
