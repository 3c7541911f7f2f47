package org.jkvm.softcpu.decode;

import org.jkvm.softcpu.ops.Bmi;
import org.jkvm.softcpu.ops.Op;

/**
 * VEX prefixes (C4: three bytes, C5: two) and the BMI1/BMI2 opcodes behind them; every other VEX opcode (AVX) is #UD,
 * as is a VEX after a 66/F2/F3/REX/LOCK prefix or a BMI instruction the CPUID table does not advertise.
 */
final class DecoderVex {
    private final Decoder top;
    private final Dec d;

    DecoderVex(Decoder top) {
        this.top = top;
        this.d = top.d;
    }

    Op decode(int b) {
        int map;
        int w;
        if (b == 0xc5) {
            int b1 = d.fetch8();
            d.rexR = (~b1 & 0x80) >> 4;
            d.vvvv = (~b1 >> 3) & 15;
            d.vexL = (b1 >> 2) & 1;
            d.vexPp = b1 & 3;
            map = 1;
            w = 0;
        } else {
            int b1 = d.fetch8();
            int b2 = d.fetch8();
            d.rexR = (~b1 & 0x80) >> 4;
            d.rexX = (~b1 & 0x40) >> 3;
            d.rexB = (~b1 & 0x20) >> 2;
            map = b1 & 31;
            w = b2 >> 7;
            d.vvvv = (~b2 >> 3) & 15;
            d.vexL = (b2 >> 2) & 1;
            d.vexPp = b2 & 3;
        }
        if (d.mode != 2) {
            d.rexR = 0;
            d.rexX = 0;
            d.rexB = 0;
            d.vvvv &= 7;
        }
        boolean prefixed = d.opsizePrefix || d.rep != 0 || d.rex || d.lock;
        int op = d.fetch8();
        d.modrm();
        int s = d.mode == 2 && w == 1 ? 3 : 2;
        if (prefixed || d.vexL != 0) {
            return top.undefined();
        }
        if (map == 2) {
            return map38(op, s);
        }
        if (map == 3 && op == 0xf0 && d.vexPp == 3 && bmi2()) {
            int imm = d.fetch8();
            return new Bmi(d, s, Bmi.RORX, d.vvvv, imm);
        }
        return top.undefined();
    }

    private boolean bmi1() {
        return top.c.cpuid.has(7, 1, 3);
    }

    private boolean bmi2() {
        return top.c.cpuid.has(7, 1, 8);
    }

    private Op map38(int op, int s) {
        int pp = d.vexPp;
        switch (op) {
            case 0xf2:
                return pp == 0 && bmi1() ? new Bmi(d, s, Bmi.ANDN, d.vvvv, 0) : top.undefined();
            case 0xf3: {
                int k = d.regField & 7;
                if (pp != 0 || !bmi1() || k < 1 || k > 3) {
                    return top.undefined();
                }
                return new Bmi(d, s, k == 1 ? Bmi.BLSR : k == 2 ? Bmi.BLSMSK : Bmi.BLSI, d.vvvv, 0);
            }
            case 0xf5:
                if (!bmi2()) {
                    return top.undefined();
                }
                return pp == 0 ? new Bmi(d, s, Bmi.BZHI, d.vvvv, 0) : pp == 3 ? new Bmi(d, s, Bmi.PDEP, d.vvvv, 0)
                        : pp == 2 ? new Bmi(d, s, Bmi.PEXT, d.vvvv, 0) : top.undefined();
            case 0xf6:
                return pp == 3 && bmi2() ? new Bmi(d, s, Bmi.MULX, d.vvvv, 0) : top.undefined();
            case 0xf7:
                if (pp == 0) {
                    return bmi1() ? new Bmi(d, s, Bmi.BEXTR, d.vvvv, 0) : top.undefined();
                }
                if (!bmi2()) {
                    return top.undefined();
                }
                return new Bmi(d, s, pp == 1 ? Bmi.SHLX : pp == 2 ? Bmi.SARX : Bmi.SHRX, d.vvvv, 0);
            default:
                return top.undefined();
        }
    }
}
