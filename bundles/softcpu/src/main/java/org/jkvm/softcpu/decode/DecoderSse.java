package org.jkvm.softcpu.decode;

import org.jkvm.softcpu.fpu.SseMath;
import org.jkvm.softcpu.ops.Op;
import org.jkvm.softcpu.ops.sse.SseComi;
import org.jkvm.softcpu.ops.sse.SseCvt;
import org.jkvm.softcpu.ops.sse.SseFp;
import org.jkvm.softcpu.ops.sse.SseInt;
import org.jkvm.softcpu.ops.sse.SseMove;
import org.jkvm.softcpu.ops.sse.SseShuf;
import org.jkvm.softcpu.ops.sse.XState;

/**
 * The MMX, SSE, SSE2 and SSE3 opcodes of the 0F map (Intel SDM vol. 2, appendix A.3), selected by the mandatory
 * prefix: none (MMX registers or packed single), 66 (XMM integer or packed double), F3 (scalar single), F2 (scalar
 * double); F2/F3 win over 66. Encodings without a defined form (a prefix the opcode does not take, a register
 * where only memory is allowed or the reverse) are #UD. SSE3 instructions are decoded whatever CPUID says, as
 * hardware runs them under KVM.
 */
final class DecoderSse {
    private static final int NONE = 0;
    private static final int P66 = 1;
    private static final int PF3 = 2;
    private static final int PF2 = 3;

    private final Decoder top;
    private final Dec d;

    DecoderSse(Decoder top) {
        this.top = top;
        this.d = top.d;
    }

    /** Whether opcode 0F {@code b} belongs to this map. */
    static boolean handles(int b) {
        return (b >= 0x10 && b <= 0x17) || (b >= 0x28 && b <= 0x2f) || (b >= 0x50 && b <= 0x7f)
                || (b >= 0xc2 && b <= 0xc6) || (b >= 0xd0 && b <= 0xfe);
    }

    private int prefix() {
        return d.rep == 0xf3 ? PF3 : d.rep == 0xf2 ? PF2 : d.opsizePrefix ? P66 : NONE;
    }

    private Op ud() {
        return top.undefined();
    }

    private int gs() {
        return d.rexW ? 3 : 2;
    }

    Op decode(int b) {
        if (b == 0x77) {
            // EMMS has no ModRM byte.
            return d.opsizePrefix || d.rep != 0 ? ud() : new XState(d, XState.EMMS);
        }
        d.modrm();
        int p = prefix();
        boolean reg = d.mod == 3;
        if (b >= 0xc2 && b <= 0xc6) {
            return rowC(b, p, reg);
        }
        if (b >= 0x60 && b <= 0x76 && b != 0x6e && b != 0x6f && !(b >= 0x70 && b <= 0x73)) {
            return p == P66 || (p == NONE && b != 0x6c && b != 0x6d) ? new SseInt(d, b, p == P66) : ud();
        }
        if (b >= 0xd0) {
            return highRows(b, p, reg);
        }
        if (b >= 0x50) {
            return midRows(b, p, reg);
        }
        return lowRows(b, p, reg);
    }

    private Op lowRows(int b, int p, boolean reg) {
        switch (b) {
            case 0x10: return p < PF3 ? move(SseMove.LOAD, false) : move(p == PF3 ? SseMove.MOVSS_LOAD
                    : SseMove.MOVSD_LOAD, false);
            case 0x11: return p < PF3 ? move(SseMove.STORE, false) : move(p == PF3 ? SseMove.MOVSS_STORE
                    : SseMove.MOVSD_STORE, false);
            case 0x12:
                if (p == PF3) {
                    return move(SseMove.SLDUP, true);
                }
                if (p == PF2) {
                    return move(SseMove.DDUP, false);
                }
                return p == P66 && reg ? ud() : move(SseMove.LOW_LOAD, false);
            case 0x13: return p < PF3 && !reg ? move(SseMove.LOW_STORE, false) : ud();
            case 0x14: case 0x15:
                return p < PF3 ? new SseShuf(d, (b == 0x14 ? SseShuf.UNPCKLPS : SseShuf.UNPCKHPS) + 2 * p, true, 0)
                        : ud();
            case 0x16:
                if (p == PF3) {
                    return move(SseMove.SHDUP, true);
                }
                return p == PF2 || (p == P66 && reg) ? ud() : move(SseMove.HIGH_LOAD, false);
            case 0x17: return p < PF3 && !reg ? move(SseMove.HIGH_STORE, false) : ud();
            case 0x28: return p < PF3 ? move(SseMove.LOAD, true) : ud();
            case 0x29: return p < PF3 ? move(SseMove.STORE, true) : ud();
            case 0x2a:
                return new SseCvt(d, new int[] {SseCvt.PI2PS, SseCvt.PI2PD, SseCvt.SI2SS, SseCvt.SI2SD}[p], false,
                        gs());
            case 0x2b: return p < PF3 && !reg ? move(SseMove.STORE, true) : ud();
            case 0x2c: case 0x2d:
                return new SseCvt(d, new int[] {SseCvt.PS2PI, SseCvt.PD2PI, SseCvt.SS2SI, SseCvt.SD2SI}[p],
                        b == 0x2c, gs());
            default:
                return p < PF3 ? new SseComi(d, p == P66, b == 0x2f) : ud();
        }
    }

    private Op move(int kind, boolean aligned) {
        return new SseMove(d, kind, aligned, gs());
    }

    private Op fp(int kind, int p) {
        return new SseFp(d, kind, p, 0);
    }

    private Op midRows(int b, int p, boolean reg) {
        switch (b) {
            case 0x50: return p < PF3 && reg ? move(p == NONE ? SseMove.MSKPS : SseMove.MSKPD, false) : ud();
            case 0x51: return fp(SseMath.SQRT, p);
            case 0x52: case 0x53:
                return p == NONE || p == PF3 ? fp(b == 0x52 ? SseMath.RSQRT : SseMath.RCP, p) : ud();
            case 0x54: case 0x55: case 0x56: case 0x57:
                return p < PF3 ? new SseInt(d, b, true) : ud();
            case 0x58: return fp(SseMath.ADD, p);
            case 0x59: return fp(SseMath.MUL, p);
            case 0x5a:
                return new SseCvt(d, new int[] {SseCvt.PS2PD, SseCvt.PD2PS, SseCvt.SS2SD, SseCvt.SD2SS}[p], false,
                        2);
            case 0x5b:
                if (p == PF2) {
                    return ud();
                }
                return new SseCvt(d, p == NONE ? SseCvt.DQ2PS : SseCvt.PS2DQ, p == PF3, 2);
            case 0x5c: return fp(SseMath.SUB, p);
            case 0x5d: return fp(SseMath.MIN, p);
            case 0x5e: return fp(SseMath.DIV, p);
            case 0x5f: return fp(SseMath.MAX, p);
            case 0x6e: return p < PF3 ? move(p == NONE ? SseMove.MM_FROM_GPR : SseMove.X_FROM_GPR, false) : ud();
            case 0x6f:
                return p == NONE ? move(SseMove.MM_LOAD, false) : p == PF2 ? ud() : move(SseMove.LOAD, p == P66);
            case 0x70: {
                int imm = d.fetch8();
                return new SseShuf(d, new int[] {SseShuf.PSHUFW, SseShuf.PSHUFD, SseShuf.PSHUFHW,
                    SseShuf.PSHUFLW}[p], p != NONE, imm);
            }
            case 0x71: case 0x72: case 0x73: return shiftGroup(b, p, reg);
            case 0x7c: case 0x7d:
                return p == P66 || p == PF2 ? new SseFp(d, b == 0x7c ? SseFp.HADD : SseFp.HSUB,
                        p == P66 ? SseFp.PD : SseFp.PS, 0) : ud();
            case 0x7e:
                return p == PF2 ? ud() : move(p == NONE ? SseMove.MM_TO_GPR : p == P66 ? SseMove.X_TO_GPR
                        : SseMove.Q_LOAD, false);
            case 0x7f:
                return p == NONE ? move(SseMove.MM_STORE, false) : p == PF2 ? ud() : move(SseMove.STORE, p == P66);
            default: return ud();
        }
    }

    /** 0F 71/72/73 ib: shifts by an immediate, register forms only. */
    private Op shiftGroup(int b, int p, boolean reg) {
        int r = d.regField & 7;
        int imm = d.fetch8();
        boolean ok = reg && p < PF3 && (r == 2 || r == 6 || (r == 4 && b != 0x73)
                || ((r == 3 || r == 7) && b == 0x73 && p == P66));
        if (!ok) {
            return ud();
        }
        return new SseShuf(d, SseShuf.SHIFT + (b - 0x71) * 8 + r, p == P66, imm);
    }

    /** 0F C2-C6. */
    private Op rowC(int b, int p, boolean reg) {
        switch (b) {
            case 0xc2: {
                int imm = d.fetch8();
                return new SseFp(d, SseFp.CMP, p, imm);
            }
            case 0xc3: return p == NONE && !reg ? move(SseMove.MOVNTI, false) : ud();
            case 0xc4: {
                int imm = d.fetch8();
                return p < PF3 ? new SseShuf(d, SseShuf.PINSRW, p == P66, imm) : ud();
            }
            case 0xc5: {
                int imm = d.fetch8();
                return p < PF3 && reg ? new SseShuf(d, SseShuf.PEXTRW, p == P66, imm) : ud();
            }
            default: {
                int imm = d.fetch8();
                return p < PF3 ? new SseShuf(d, p == NONE ? SseShuf.SHUFPS : SseShuf.SHUFPD, true, imm) : ud();
            }
        }
    }

    private Op highRows(int b, int p, boolean reg) {
        switch (b) {
            case 0xd0:
                return p == P66 || p == PF2 ? new SseFp(d, SseFp.ADDSUB, p == P66 ? SseFp.PD : SseFp.PS, 0) : ud();
            case 0xd6:
                if (p == P66) {
                    return move(SseMove.Q_STORE, false);
                }
                return reg && p >= PF3 ? move(p == PF3 ? SseMove.Q2DQ : SseMove.DQ2Q, false) : ud();
            case 0xd7:
                return p < PF3 && reg ? move(p == NONE ? SseMove.PMOVMSKB : SseMove.PMOVMSKB_X, false) : ud();
            case 0xe6:
                if (p == NONE) {
                    return ud();
                }
                return new SseCvt(d, p == PF3 ? SseCvt.DQ2PD : SseCvt.PD2DQ, p == P66, 2);
            case 0xe7:
                return p < PF3 && !reg ? move(p == NONE ? SseMove.MM_STORE : SseMove.STORE, true) : ud();
            case 0xf0: return p == PF2 && !reg ? move(SseMove.LOAD, false) : ud();
            case 0xf7: return p < PF3 && reg ? new SseShuf(d, SseShuf.MASKMOV, p == P66, 0) : ud();
            default:
                return p < PF3 ? new SseInt(d, b, p == P66) : ud();
        }
    }
}
