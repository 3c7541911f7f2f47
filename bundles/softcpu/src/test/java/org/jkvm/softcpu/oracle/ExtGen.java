package org.jkvm.softcpu.oracle;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.softcpu.oracle.CpuFeatures.Feature;

/**
 * The optional groups, each only where both CPUs report it: BMI1 (ANDN BEXTR BLSI BLSMSK BLSR), BMI2 (BZHI PDEP
 * PEXT MULX RORX SARX SHLX SHRX), ADX (ADCX ADOX) and MOVBE. VEX-encoded ones use the 3-byte VEX prefix with L=0.
 */
final class ExtGen implements Generator {
    @Override
    public String name() {
        return "EXT";
    }

    /** Whether the CPUs have any group this class covers. */
    static boolean available(CpuFeatures f) {
        return f.has(Feature.BMI1) || f.has(Feature.BMI2) || f.has(Feature.ADX) || f.has(Feature.MOVBE);
    }

    @Override
    public void generate(CaseBuilder b) {
        List<Feature> groups = new ArrayList<>();
        for (Feature f : new Feature[] {Feature.BMI1, Feature.BMI2, Feature.ADX, Feature.MOVBE}) {
            if (b.features.has(f)) {
                groups.add(f);
            }
        }
        int bits = b.rnd.nextBoolean() ? 64 : 32;
        switch (groups.get(b.rnd.nextInt(groups.size()))) {
            case BMI1 -> bmi1(b, bits, b.rnd.nextInt(5));
            case BMI2 -> bmi2(b, bits, b.rnd.nextInt(8));
            case ADX -> adx(b, bits, b.rnd.nextBoolean());
            default -> movbe(b, b.size(true), b.rnd.nextBoolean());
        }
    }

    private static Asm vex(int bits, int map, int pp, Operand.Reg vvvv) {
        Asm a = new Asm().vex(map, pp, vvvv.num());
        return bits == 64 ? a.rexW() : a;
    }

    /**
     * A register for VEX.vvvv: for BEXTR/BZHI ({@code small}) its low 16 bits are a small control value, for
     * SARX/SHLX/SHRX ({@code count}) its low byte is a shift count.
     */
    private static Operand.Reg control(CaseBuilder b, int bits, boolean small, boolean count) {
        Operand.Reg r = b.reg(bits);
        if (count) {
            b.set(Operand.Reg.of(r.num(), 8), Values.count(b.rnd, bits));
        }
        if (small) {
            long start = b.rnd.nextInt(4) == 0 ? b.rnd.nextInt(256) : b.rnd.nextInt(bits + 8);
            long len = b.rnd.nextInt(4) == 0 ? b.rnd.nextInt(256) : b.rnd.nextInt(bits + 8);
            b.set(Operand.Reg.of(r.num(), 16), start | len << 8);
        }
        b.pin(r.num());
        return r;
    }

    private static void bmi1(CaseBuilder b, int bits, int which) {
        Operand.Reg dst = b.reg(bits);
        Operand rm = b.rm(bits, 35);
        Asm a;
        String text;
        switch (which) {
            case 0 -> {
                Operand.Reg v = control(b, bits, false, false);
                a = vex(bits, 2, 0, v).op(0xF2).reg(dst).rm(rm);
                text = "ANDN " + dst.name() + "," + v.name();
                b.flags(FlagRules.STATUS, FlagRules.AF | FlagRules.PF);
            }
            case 1 -> {
                Operand.Reg v = control(b, bits, true, false);
                a = vex(bits, 2, 0, v).op(0xF7).reg(dst).rm(rm);
                text = "BEXTR " + dst.name() + "," + v.name() + "=0x" + Long.toHexString(b.get(v) & 0xFFFF);
                b.flags(FlagRules.STATUS, FlagRules.AF | FlagRules.SF | FlagRules.PF);
            }
            default -> {
                // BLSR /1, BLSMSK /2, BLSI /3: VEX.vvvv is the destination.
                int ext = which - 1;
                a = vex(bits, 2, 0, dst).op(0xF3).ext(ext).rm(rm);
                text = new String[] {"", "BLSR ", "BLSMSK ", "BLSI "}[ext] + dst.name();
                b.flags(FlagRules.STATUS, FlagRules.AF | FlagRules.PF);
            }
        }
        b.say(text + "," + Generator.text(rm));
        b.emit(a);
    }

    private static void bmi2(CaseBuilder b, int bits, int which) {
        Operand.Reg dst = b.reg(bits);
        if (which == 3) {
            b.set(Operand.Reg.of(2, bits), Values.of(b.rnd, bits));
            b.pin(2);
        }
        Operand rm = b.rm(bits, 35);
        String[] names = {"BZHI", "PDEP", "PEXT", "MULX", "RORX", "SARX", "SHLX", "SHRX"};
        Asm a;
        if (which == 4) {
            int imm = Values.count(b.rnd, bits);
            a = new Asm().vex(3, 3, 0).op(0xF0).reg(dst).rm(rm).imm(imm, 1);
            if (bits == 64) {
                a.rexW();
            }
            b.say("RORX " + dst.name() + "," + Generator.text(rm) + "," + imm);
            b.emit(a);
            return;
        }
        Operand.Reg v = control(b, bits, which == 0, which >= 5);
        int[] pp = {0, 3, 2, 3, 0, 2, 1, 3};
        int[] op = {0xF5, 0xF5, 0xF5, 0xF6, 0, 0xF7, 0xF7, 0xF7};
        a = vex(bits, 2, pp[which], v).op(op[which]).reg(dst).rm(rm);
        if (which == 0) {
            b.flags(FlagRules.STATUS, FlagRules.AF | FlagRules.PF);
        }
        b.say(names[which] + " " + dst.name() + "," + Generator.text(rm) + "," + v.name());
        b.emit(a);
    }

    private static void adx(CaseBuilder b, int bits, boolean adox) {
        Operand.Reg dst = b.reg(bits);
        Operand rm = b.rm(bits, 35);
        Asm a = new Asm().prefix(adox ? 0xF3 : 0x66).op(0x0F, 0x38, 0xF6).reg(dst).rm(rm);
        if (bits == 64) {
            a.rexW();
        }
        b.flags(adox ? FlagRules.OF : FlagRules.CF, 0);
        b.say((adox ? "ADOX " : "ADCX ") + dst.name() + "," + Generator.text(rm));
        b.emit(b.maybeRex(a));
    }

    private static void movbe(CaseBuilder b, int bits, boolean store) {
        Operand.Reg r = b.reg(bits);
        Operand rm = b.rm(bits, 100);
        Asm a = b.sized(new Asm(), bits).op(0x0F, 0x38, store ? 0xF1 : 0xF0).reg(r).rm(rm);
        b.say("MOVBE " + (store ? Generator.text(rm) + "," + r.name() : r.name() + "," + Generator.text(rm)));
        b.emit(b.maybeRex(a));
    }
}
