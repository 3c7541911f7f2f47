package org.jkvm.softcpu.decode;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.Vec;
import org.jkvm.softcpu.ops.Alu;
import org.jkvm.softcpu.ops.Branch;
import org.jkvm.softcpu.ops.Far;
import org.jkvm.softcpu.ops.Iret;
import org.jkvm.softcpu.ops.Legacy;
import org.jkvm.softcpu.ops.Mov;
import org.jkvm.softcpu.ops.MulDiv;
import org.jkvm.softcpu.ops.Op;
import org.jkvm.softcpu.ops.Shift;
import org.jkvm.softcpu.ops.Stack;
import org.jkvm.softcpu.ops.Str;
import org.jkvm.softcpu.ops.SysOps;
import org.jkvm.softcpu.ops.Unary;

/**
 * Decodes one instruction into an {@link Op}: prefixes (legacy, REX), the one-byte opcode map here and the 0F
 * maps in {@link Decoder0F}. Operand and address sizes follow the mode (Intel SDM vol. 2, 2.2.1 and table 3-4):
 * in 64-bit mode stack operations and near branches default to 64 bits.
 */
public final class Decoder {
    final Cpu c;
    final Dec d;
    private final Decoder0F map0f;
    private final DecoderVex vex;
    private final DecoderX87 x87;

    public Decoder(Cpu c) {
        this.c = c;
        this.d = new Dec(c);
        this.map0f = new Decoder0F(this);
        this.vex = new DecoderVex(this);
        this.x87 = new DecoderX87(this);
    }

    /** The decoder state (for the block builder). */
    public Dec dec() {
        return d;
    }

    /** Decodes the instruction at {@code d.pos}. */
    public Op decode() {
        d.startInsn();
        int b = prefixes();
        Op op = b == 0x0f ? map0f.decode(d.fetch8()) : map1(b);
        if (d.lock && (!d.lockOk || d.mod == 3)) {
            return new Legacy.Raise(d, Vec.UD);
        }
        return op;
    }

    private int prefixes() {
        for (;;) {
            int b = d.fetch8();
            switch (b) {
                // In 64-bit mode the ES, CS, SS and DS overrides are ignored (SDM vol. 1, 3.3.7): the default
                // segment stays, which decides #SS or #GP for a non-canonical address.
                case 0x26: d.segOverride = d.mode == 2 ? d.segOverride : Cpu.ES; break;
                case 0x2e: d.segOverride = d.mode == 2 ? d.segOverride : Cpu.CS; break;
                case 0x36: d.segOverride = d.mode == 2 ? d.segOverride : Cpu.SS; break;
                case 0x3e: d.segOverride = d.mode == 2 ? d.segOverride : Cpu.DS; break;
                case 0x64: d.segOverride = Cpu.FS; break;
                case 0x65: d.segOverride = Cpu.GS; break;
                case 0x66: d.opsizePrefix = true; break;
                case 0x67: d.asz = d.mode == 2 ? 2 : d.mode == 1 ? 1 : 2; break;
                case 0xf0: d.lock = true; break;
                case 0xf2: case 0xf3: d.rep = b; break;
                default:
                    if (d.mode == 2 && (b & 0xf0) == 0x40) {
                        d.rex = true;
                        d.rexW = (b & 8) != 0;
                        d.rexR = (b & 4) << 1;
                        d.rexX = (b & 2) << 2;
                        d.rexB = (b & 1) << 3;
                        int next = d.fetch8();
                        if (isPrefix(next)) {
                            // A legacy prefix after REX cancels the REX.
                            d.rex = false;
                            d.rexW = false;
                            d.rexR = 0;
                            d.rexX = 0;
                            d.rexB = 0;
                            d.pos--;
                            continue;
                        }
                        if ((next & 0xf0) == 0x40) {
                            d.pos--;
                            continue;
                        }
                        b = next;
                    }
                    sizes();
                    return b;
            }
            d.rex = false;
        }
    }

    private static boolean isPrefix(int b) {
        return b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65 || b == 0x66
                || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3;
    }

    private void sizes() {
        if (d.mode == 2) {
            d.osz = d.rexW ? 3 : d.opsizePrefix ? 1 : 2;
        } else {
            d.osz = (d.mode == 1) != d.opsizePrefix ? 2 : 1;
        }
    }

    /** Operand size of stack operations and near branches. */
    int stackSize() {
        return d.mode == 2 ? (d.opsizePrefix && !d.rexW ? 1 : 3) : d.osz;
    }

    /** A relative branch target, wrapped to the operand size outside 64-bit mode. */
    long target(long rel) {
        long t = d.pos + rel;
        if (d.mode == 2) {
            return t;
        }
        return d.osz == 1 ? t & 0xffffL : t & 0xffffffffL;
    }

    Op undefined() {
        return new Legacy.Undefined(d, false);
    }

    /** Makes the E operand register {@code reg} (for AL/eAX immediate forms and opcode-embedded registers). */
    void regAsE(int reg) {
        d.mod = 3;
        d.rm = reg;
    }

    private Op map1(int b) {
        if (b < 0x40) {
            return low(b);
        }
        if (b < 0x80) {
            return row4to7(b);
        }
        if (b < 0xc0) {
            return row8toB(b);
        }
        return rowCtoF(b);
    }

    private Op low(int b) {
        int col = b & 7;
        boolean inv64 = d.mode == 2;
        if (col < 6) {
            return alu(b >> 3, col);
        }
        switch (b) {
            case 0x06: case 0x0e: case 0x16: case 0x1e:
                return inv64 ? undefined() : new Far.PushSreg(d, b >> 3, d.osz);
            case 0x07: case 0x17: case 0x1f:
                return inv64 ? undefined() : new Far.PopSreg(d, b >> 3, d.osz);
            case 0x27: return inv64 ? undefined() : new Legacy.Bcd(d, 0, 0);
            case 0x2f: return inv64 ? undefined() : new Legacy.Bcd(d, 1, 0);
            case 0x37: return inv64 ? undefined() : new Legacy.Bcd(d, 2, 0);
            case 0x3f: return inv64 ? undefined() : new Legacy.Bcd(d, 3, 0);
            default: return undefined();
        }
    }

    private Op alu(int kind, int col) {
        int s = (col & 1) == 0 ? 0 : d.osz;
        if (col >= 4) {
            long imm = d.immZ(s);
            regAsE(0);
            return s >= 2 ? new Alu.RI(d, s, kind, imm) : new Alu.EI(d, s, kind, imm);
        }
        d.modrm();
        d.lockOk = col < 2 && kind != Alu.CMP;
        if (d.mod == 3 && s >= 2) {
            return new Alu.RR(d, s, kind, col >= 2);
        }
        return col < 2 ? new Alu.EG(d, s, kind) : new Alu.GE(d, s, kind);
    }

    private Op row4to7(int b) {
        if (b < 0x50) {
            int reg = b & 7;
            return new Unary.IncDecReg(d, reg, d.osz, b < 0x48);
        }
        if (b < 0x58) {
            return new Stack.PushR(d, (b & 7) | d.rexB, stackSize());
        }
        if (b < 0x60) {
            return new Stack.PopR(d, (b & 7) | d.rexB, stackSize());
        }
        if (b >= 0x70) {
            long t = target((byte) d.fetch8());
            return new Branch.Jcc(d, b & 15, t);
        }
        return row6(b);
    }

    private Op row6(int b) {
        boolean inv64 = d.mode == 2;
        switch (b) {
            case 0x60: return inv64 ? undefined() : new Stack.Pusha(d, d.osz);
            case 0x61: return inv64 ? undefined() : new Stack.Popa(d, d.osz);
            case 0x62:
                if (inv64) {
                    return undefined();
                }
                d.modrm();
                return new Legacy.Bound(d, d.osz);
            case 0x63:
                d.modrm();
                if (inv64) {
                    return new Mov.Extend(d, d.osz, 2, d.osz == 3);
                }
                return Decoder0F.arpl(this);
            case 0x68: return new Stack.PushI(d, d.immZ(d.osz == 3 ? 2 : stackSize()), stackSize());
            case 0x6a: return new Stack.PushI(d, (byte) d.fetch8(), stackSize());
            case 0x69: case 0x6b: {
                d.modrm();
                long imm = b == 0x69 ? d.immZ(d.osz) : (byte) d.fetch8();
                return new MulDiv.Imul(d, d.osz, true, imm);
            }
            case 0x6c: return new Str(d, Str.INS, 0);
            case 0x6d: return new Str(d, Str.INS, Math.min(d.osz, 2));
            case 0x6e: return new Str(d, Str.OUTS, 0);
            case 0x6f: return new Str(d, Str.OUTS, Math.min(d.osz, 2));
            default: return undefined();
        }
    }

    private Op row8toB(int b) {
        if (b < 0x84) {
            return group1(b);
        }
        if (b < 0x90) {
            return movs(b);
        }
        if (b < 0xa0) {
            return row9(b);
        }
        if (b < 0xb0) {
            return rowA(b);
        }
        int s = b < 0xb8 ? 0 : d.osz;
        int reg = d.opReg(b & 7, s);
        int sh = d.opSh(b & 7, s);
        long imm = s == 0 ? d.fetch8() : s == 1 ? d.fetch16() : s == 2 ? d.fetch32() : d.fetchSigned(8);
        return new Mov.RI(d, reg, sh, s, imm);
    }

    private Op group1(int b) {
        if (b == 0x82 && d.mode == 2) {
            return undefined();
        }
        int s = (b & 1) == 0 ? 0 : d.osz;
        d.modrm();
        long imm = b == 0x81 ? d.immZ(s) : (byte) d.fetch8();
        int kind = d.regField & 7;
        d.lockOk = kind != Alu.CMP;
        if (d.mod == 3 && s >= 2) {
            return new Alu.RI(d, s, kind, imm);
        }
        return new Alu.EI(d, s, kind, imm);
    }

    private Op movs(int b) {
        int s = (b & 1) == 0 ? 0 : d.osz;
        d.modrm();
        switch (b) {
            case 0x84: case 0x85:
                return d.mod == 3 && s >= 2 ? new Alu.RR(d, s, Alu.TEST, false) : new Alu.EG(d, s, Alu.TEST);
            case 0x86: case 0x87:
                d.lockOk = true;
                return new Mov.Xchg(d, s);
            case 0x88: case 0x89:
                if (s >= 2) {
                    return d.mod == 3 ? new Mov.RR(d, s) : new Mov.Store(d, s);
                }
                return new Mov.EG(d, s);
            case 0x8a: case 0x8b:
                if (s >= 2) {
                    if (d.mod == 3) {
                        int t = d.rm;
                        d.rm = d.regField;
                        d.regField = t;
                        return new Mov.RR(d, s);
                    }
                    return new Mov.Load(d, s);
                }
                return new Mov.GE(d, s);
            case 0x8c: {
                int sreg = d.regField & 7;
                return sreg > 5 ? undefined() : new Far.MovFromSreg(d, d.osz, sreg);
            }
            case 0x8d:
                return d.mod == 3 ? undefined() : new Mov.Lea(d, d.osz);
            case 0x8e: {
                int sreg = d.regField & 7;
                return sreg > 5 || sreg == Cpu.CS ? undefined() : new Far.MovToSreg(d, sreg);
            }
            default:
                return (d.regField & 7) != 0 ? undefined() : new Stack.PopE(d, stackSize());
        }
    }

    private Op row9(int b) {
        switch (b) {
            case 0x90:
                if (d.rexB != 0) {
                    break;
                }
                return new SysOps(d, d.rep == 0xf3 ? SysOps.PAUSE : SysOps.NOP);
            case 0x98: return new Mov.Cbw(d, d.osz);
            case 0x99: return new Mov.Cwd(d, d.osz);
            case 0x9a: {
                if (d.mode == 2) {
                    return undefined();
                }
                long off = d.osz == 1 ? d.fetch16() : d.fetch32();
                int sel = (int) d.fetch16();
                return new Far.Direct(d, sel, off, true, d.osz);
            }
            case 0x9b: return new org.jkvm.softcpu.ops.x87.X87Ctl.Fwait(d);
            case 0x9c: return new SysOps.Pushf(d, stackSize());
            case 0x9d: return new SysOps.Popf(d, stackSize());
            case 0x9e: return new SysOps(d, SysOps.SAHF);
            case 0x9f: return new SysOps(d, SysOps.LAHF);
            default: break;
        }
        // XCHG reg, rAX
        regAsE((b & 7) | d.rexB);
        d.regField = 0;
        return new Mov.Xchg(d, d.osz);
    }

    private Op rowA(int b) {
        int s = (b & 1) == 0 ? 0 : d.osz;
        int ss = (b & 1) == 0 ? 0 : Math.min(d.osz, 3);
        switch (b) {
            case 0xa0: case 0xa1: case 0xa2: case 0xa3: {
                long off = d.asz == 1 ? d.fetch16() : d.asz == 2 ? d.fetch32() : d.fetchSigned(8);
                d.mod = 0;
                d.disp = off;
                d.amask = d.asz == 1 ? 0xffffL : d.asz == 2 ? 0xffffffffL : -1L;
                d.effSeg = d.dataSeg();
                d.regField = 0;
                return b < 0xa2 ? new Mov.GE(d, s) : new Mov.EG(d, s);
            }
            case 0xa4: case 0xa5: return new Str(d, Str.MOVS, ss);
            case 0xa6: case 0xa7: return new Str(d, Str.CMPS, ss);
            case 0xa8: case 0xa9: {
                long imm = d.immZ(s);
                regAsE(0);
                return new Alu.EI(d, s, Alu.TEST, imm);
            }
            case 0xaa: case 0xab: return new Str(d, Str.STOS, ss);
            case 0xac: case 0xad: return new Str(d, Str.LODS, ss);
            default: return new Str(d, Str.SCAS, ss);
        }
    }

    private Op rowCtoF(int b) {
        if (b >= 0xd8 && b <= 0xdf) {
            d.modrm();
            return x87.decode(b);
        }
        switch (b) {
            case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3: return group2(b);
            case 0xc2: return new Branch.Ret(d, (int) d.fetch16(), stackSize());
            case 0xc3: return new Branch.Ret(d, 0, stackSize());
            case 0xc4: case 0xc5: {
                if (d.mode == 2 || vexFollows()) {
                    return vex.decode(b);
                }
                d.modrm();
                if (d.mod == 3) {
                    return undefined();
                }
                return new Far.LoadFar(d, d.osz, b == 0xc4 ? Cpu.ES : Cpu.DS);
            }
            case 0xc6: case 0xc7: {
                int s = b == 0xc6 ? 0 : d.osz;
                d.modrm();
                long imm = d.immZ(s);
                return (d.regField & 7) != 0 ? undefined() : new Mov.EI(d, s, imm);
            }
            case 0xc8: {
                int size = (int) d.fetch16();
                int level = d.fetch8();
                return new Stack.Enter(d, size, level, stackSize());
            }
            case 0xc9: return new Stack.Leave(d, stackSize());
            case 0xca: return new Far.Retf(d, (int) d.fetch16(), d.osz);
            case 0xcb: return new Far.Retf(d, 0, d.osz);
            case 0xcc: return new Far.Int(d, Vec.BP, false, false);
            case 0xcd: return new Far.Int(d, d.fetch8(), false, false);
            case 0xce: return d.mode == 2 ? undefined() : new Far.Int(d, Vec.OF, true, false);
            case 0xcf: return new Iret(d, d.osz);
            default: return rowDtoF(b);
        }
    }

    /** Outside 64-bit mode C4/C5 are VEX only when the next byte would be a register ModRM (LES/LDS need memory). */
    private boolean vexFollows() {
        int next = d.fetch8();
        d.pos--;
        return (next & 0xc0) == 0xc0;
    }

    private Op group2(int b) {
        int s = (b & 1) == 0 ? 0 : d.osz;
        d.modrm();
        int count = b < 0xd0 ? d.fetch8() : b < 0xd2 ? 1 : -1;
        return new Shift(d, s, d.regField & 7, count);
    }

    private Op rowDtoF(int b) {
        boolean inv64 = d.mode == 2;
        switch (b) {
            case 0xd4: return inv64 ? undefined() : new Legacy.Bcd(d, 4, d.fetch8());
            case 0xd5: return inv64 ? undefined() : new Legacy.Bcd(d, 5, d.fetch8());
            case 0xd6: return inv64 ? undefined() : new SysOps(d, SysOps.SALC);
            case 0xd7: return new SysOps(d, SysOps.XLAT);
            case 0xe0: case 0xe1: case 0xe2: case 0xe3: {
                long t = target((byte) d.fetch8());
                int kind = b == 0xe0 ? 2 : b == 0xe1 ? 1 : b == 0xe2 ? 0 : 3;
                return new Branch.Loop(d, kind, t);
            }
            case 0xe4: case 0xe5: case 0xe6: case 0xe7: {
                int port = d.fetch8();
                return new SysOps.InOut(d, b < 0xe6, port, (b & 1) == 0 ? 0 : Math.min(d.osz, 2));
            }
            case 0xe8: case 0xe9: {
                long rel = d.osz == 1 && d.mode != 2 ? (short) d.fetch16() : (int) d.fetch32();
                long t = target(rel);
                return b == 0xe8 ? new Branch.Call(d, t, stackSize()) : new Branch.Jmp(d, t);
            }
            case 0xea: {
                if (inv64) {
                    return undefined();
                }
                long off = d.osz == 1 ? d.fetch16() : d.fetch32();
                int sel = (int) d.fetch16();
                return new Far.Direct(d, sel, off, false, d.osz);
            }
            case 0xeb: return new Branch.Jmp(d, target((byte) d.fetch8()));
            case 0xec: case 0xed: case 0xee: case 0xef:
                return new SysOps.InOut(d, b < 0xee, -1, (b & 1) == 0 ? 0 : Math.min(d.osz, 2));
            case 0xf1: return new Far.Int(d, Vec.DB, false, true);
            case 0xf4: return new SysOps(d, SysOps.HLT);
            case 0xf5: return new SysOps(d, SysOps.CMC);
            case 0xf6: case 0xf7: return group3(b);
            case 0xf8: return new SysOps(d, SysOps.CLC);
            case 0xf9: return new SysOps(d, SysOps.STC);
            case 0xfa: return new SysOps(d, SysOps.CLI);
            case 0xfb: return new SysOps(d, SysOps.STI);
            case 0xfc: return new SysOps(d, SysOps.CLD);
            case 0xfd: return new SysOps(d, SysOps.STD);
            case 0xfe: return group4();
            case 0xff: return group5();
            default: return undefined();
        }
    }

    private Op group3(int b) {
        int s = b == 0xf6 ? 0 : d.osz;
        d.modrm();
        int op = d.regField & 7;
        switch (op) {
            case 0: case 1: {
                long imm = d.immZ(s);
                return new Alu.EI(d, s, Alu.TEST, imm);
            }
            case 2:
                d.lockOk = true;
                return new Unary(d, s, Unary.NOT);
            case 3:
                d.lockOk = true;
                return new Unary(d, s, Unary.NEG);
            default: return new MulDiv(d, s, op);
        }
    }

    private Op group4() {
        d.modrm();
        int op = d.regField & 7;
        d.lockOk = true;
        return op > 1 ? undefined() : new Unary(d, 0, op);
    }

    private Op group5() {
        d.modrm();
        int op = d.regField & 7;
        switch (op) {
            case 0: case 1:
                d.lockOk = true;
                return new Unary(d, d.osz, op);
            case 2: return new Branch.Indirect(d, stackSize(), true);
            case 3: return new Far.Indirect(d, d.osz, true);
            case 4: return new Branch.Indirect(d, stackSize(), false);
            case 5: return new Far.Indirect(d, d.osz, false);
            case 6: return new Stack.PushE(d, stackSize());
            default: return undefined();
        }
    }
}
