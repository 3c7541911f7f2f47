package org.jkvm.softcpu.decode;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.ops.Atomic;
import org.jkvm.softcpu.ops.Bits;
import org.jkvm.softcpu.ops.Branch;
import org.jkvm.softcpu.ops.Cr;
import org.jkvm.softcpu.ops.FastCall;
import org.jkvm.softcpu.ops.Far;
import org.jkvm.softcpu.ops.Legacy;
import org.jkvm.softcpu.ops.Mov;
import org.jkvm.softcpu.ops.MulDiv;
import org.jkvm.softcpu.ops.Op;
import org.jkvm.softcpu.ops.Shift;
import org.jkvm.softcpu.ops.SysOps;
import org.jkvm.softcpu.ops.SysOps2;
import org.jkvm.softcpu.ops.sse.XState;

/**
 * The two- and three-byte opcode maps (0F xx, 0F 38 xx); the MMX/SSE opcodes go to {@link DecoderSse}. SSSE3, SSE4
 * and AVX opcodes raise #UD.
 */
final class Decoder0F {
    private final Decoder top;
    private final Dec d;
    private final DecoderSse sse;

    Decoder0F(Decoder top) {
        this.top = top;
        this.d = top.d;
        this.sse = new DecoderSse(top);
    }

    private Op ud() {
        return top.undefined();
    }

    Op decode(int b) {
        if (b >= 0x80 && b < 0x90) {
            long rel = d.osz == 1 && d.mode != 2 ? (short) d.fetch16() : (int) d.fetch32();
            return new Branch.Jcc(d, b & 15, top.target(rel));
        }
        if (b >= 0x40 && b < 0x50) {
            d.modrm();
            return new Mov.Cmov(d, d.osz, b & 15);
        }
        if (b >= 0x90 && b < 0xa0) {
            d.modrm();
            return new Mov.Setcc(d, b & 15);
        }
        if (b >= 0xc8 && b <= 0xcf) {
            int reg = (b & 7) | d.rexB;
            return new Mov.Bswap(d, reg, d.osz);
        }
        if (DecoderSse.handles(b)) {
            return sse.decode(b);
        }
        if (b < 0x40) {
            return low(b);
        }
        if (b >= 0xa0) {
            return high(b);
        }
        return ud();
    }

    private Op low(int b) {
        switch (b) {
            case 0x00: return group6();
            case 0x01: return group7();
            case 0x02: case 0x03:
                d.modrm();
                return new SysOps2.LarLsl(d, d.osz, b == 0x02);
            case 0x05: return new FastCall(d, FastCall.SYSCALL);
            case 0x06: return new SysOps(d, SysOps.CLTS);
            case 0x07: return new FastCall(d, FastCall.SYSRET);
            case 0x08: case 0x09: return new SysOps(d, SysOps.PRIV_NOP);
            case 0x0b: return new Legacy.Undefined(d, true);
            case 0x0d: case 0x18: case 0x19: case 0x1a: case 0x1b: case 0x1c: case 0x1d: case 0x1e: case 0x1f:
                d.modrm();
                return new SysOps(d, SysOps.NOP);
            case 0x20: case 0x21: case 0x22: case 0x23: return movCrDr(b);
            case 0x30: return new SysOps(d, SysOps.WRMSR);
            case 0x31: return new SysOps(d, SysOps.RDTSC);
            case 0x32: return new SysOps(d, SysOps.RDMSR);
            case 0x34: return new FastCall(d, FastCall.SYSENTER);
            case 0x35: return new FastCall(d, FastCall.SYSEXIT);
            case 0x38: return map38(d.fetch8());
            default:
                return ud();
        }
    }

    private Op movCrDr(int b) {
        d.modrm();
        int reg = (d.modrm & 7) | d.rexB;
        int n = d.regField;
        if (b == 0x20 || b == 0x22) {
            if (d.lock && n == 0) {
                n = 8;   // AMD's alternative encoding of CR8
            }
            if (n != 0 && n != 2 && n != 3 && n != 4 && n != 8) {
                return ud();
            }
            Op op = new Cr.MovCr(d, b == 0x22, n, reg);
            d.lock = false;
            return op;
        }
        if (n > 7) {
            return ud();
        }
        return new Cr.MovDr(d, b == 0x23, n, reg);
    }

    private Op group6() {
        d.modrm();
        switch (d.regField & 7) {
            case 0: return new Cr.Table(d, Cr.SLDT);
            case 1: return new Cr.Table(d, Cr.STR);
            case 2: return new Cr.Table(d, Cr.LLDT);
            case 3: return new Cr.Table(d, Cr.LTR);
            case 4: return new SysOps2.Verify(d, false);
            case 5: return new SysOps2.Verify(d, true);
            default: return ud();
        }
    }

    private Op group7() {
        d.modrm();
        int op = d.regField & 7;
        if (d.mod == 3) {
            int rm = d.modrm & 7;
            if (op == 7 && rm == 0) {
                return d.mode == 2 ? new SysOps(d, SysOps.SWAPGS) : ud();
            }
            if (op == 7 && rm == 1) {
                return new SysOps(d, SysOps.RDTSCP);
            }
            if (op == 2 && (rm == 0 || rm == 1) && !d.opsizePrefix && d.rep == 0) {
                return new XState(d, rm == 0 ? XState.XGETBV : XState.XSETBV);
            }
            if (op == 4 || op == 6) {
                return new Cr.Table(d, op == 4 ? Cr.SMSW : Cr.LMSW);
            }
            return ud();
        }
        switch (op) {
            case 0: return new Cr.Table(d, Cr.SGDT);
            case 1: return new Cr.Table(d, Cr.SIDT);
            case 2: return new Cr.Table(d, Cr.LGDT);
            case 3: return new Cr.Table(d, Cr.LIDT);
            case 4: return new Cr.Table(d, Cr.SMSW);
            case 6: return new Cr.Table(d, Cr.LMSW);
            case 7: return new Cr.Table(d, Cr.INVLPG);
            default: return ud();
        }
    }

    private Op map38(int b) {
        if (b == 0xf0 || b == 0xf1) {
            d.modrm();
            if (d.rep != 0 || d.mod == 3 || !top.c.cpuid.has(1, 2, 22)) {
                return ud();
            }
            return new Mov.Movbe(d, d.osz, b == 0xf1);
        }
        if (b == 0xf6 && (d.opsizePrefix || d.rep == 0xf3)) {
            d.modrm();
            if (!top.c.cpuid.has(7, 1, 19)) {
                return ud();
            }
            return new Atomic.Adx(d, d.osz == 3 ? 3 : 2, d.rep == 0xf3);
        }
        return ud();
    }

    private Op high(int b) {
        switch (b) {
            case 0xa0: return new Far.PushSreg(d, Cpu.FS, top.stackSize());
            case 0xa1: return new Far.PopSreg(d, Cpu.FS, top.stackSize());
            case 0xa8: return new Far.PushSreg(d, Cpu.GS, top.stackSize());
            case 0xa9: return new Far.PopSreg(d, Cpu.GS, top.stackSize());
            case 0xa2: return new SysOps(d, SysOps.CPUID);
            case 0xa3: case 0xab: case 0xb3: case 0xbb: {
                d.modrm();
                int kind = b == 0xa3 ? Bits.BT : b == 0xab ? Bits.BTS : b == 0xb3 ? Bits.BTR : Bits.BTC;
                d.lockOk = kind != Bits.BT;
                return new Bits.Bt(d, d.osz, kind, false, 0);
            }
            case 0xa4: case 0xa5: case 0xac: case 0xad: {
                d.modrm();
                int count = (b & 1) == 0 ? d.fetch8() : -1;
                return new Shift.Double(d, d.osz, b < 0xa8, count);
            }
            case 0xae: return group15();
            case 0xaf:
                d.modrm();
                return new MulDiv.Imul(d, d.osz, false, 0);
            case 0xb0: case 0xb1:
                d.modrm();
                d.lockOk = true;
                return new Atomic.Cmpxchg(d, b == 0xb0 ? 0 : d.osz);
            case 0xb2: case 0xb4: case 0xb5:
                d.modrm();
                return new Far.LoadFar(d, d.osz, b == 0xb2 ? Cpu.SS : b == 0xb4 ? Cpu.FS : Cpu.GS);
            case 0xb6: case 0xb7: case 0xbe: case 0xbf:
                d.modrm();
                return new Mov.Extend(d, d.osz, (b & 1) == 0 ? 0 : 1, b >= 0xbe);
            default: return high2(b);
        }
    }

    private Op high2(int b) {
        switch (b) {
            case 0xb8:
                d.modrm();
                return d.rep == 0xf3 ? new Bits.Scan(d, d.osz, Bits.Scan.POPCNT) : ud();
            case 0xb9: d.modrm(); return new Legacy.Undefined(d, true);
            case 0xba: {
                d.modrm();
                int op = d.regField & 7;
                long imm = d.fetch8();
                if (op < 4) {
                    return ud();
                }
                d.lockOk = op != 4;
                return new Bits.Bt(d, d.osz, op - 4, true, imm);
            }
            case 0xbc: case 0xbd: {
                d.modrm();
                boolean tz = b == 0xbc;
                boolean alt = d.rep == 0xf3
                        && (tz ? top.c.cpuid.has(7, 1, 3) : top.c.cpuid.has(0x80000001, 2, 5));
                int kind = alt ? (tz ? Bits.Scan.TZCNT : Bits.Scan.LZCNT) : (tz ? Bits.Scan.BSF : Bits.Scan.BSR);
                return new Bits.Scan(d, d.osz, kind);
            }
            case 0xc0: case 0xc1:
                d.modrm();
                d.lockOk = true;
                return new Atomic.Xadd(d, b == 0xc0 ? 0 : d.osz);
            case 0xc7: {
                d.modrm();
                int op = d.regField & 7;
                if (op == 1 && d.mod != 3) {
                    d.lockOk = true;
                    return new Atomic.Cmpxchg8b(d, d.rexW);
                }
                if (op == 7 && d.mod == 3 && d.rep == 0xf3) {
                    return new SysOps2.Rdpid(d, d.rm);
                }
                return ud();
            }
            case 0xff: d.modrm(); return new Legacy.Undefined(d, true);
            default: return ud();
        }
    }

    private Op group15() {
        d.modrm();
        int op = d.regField & 7;
        if (d.mod == 3) {
            if (d.rep == 0xf3 && op < 4 && d.mode == 2) {
                return new SysOps2.FsGsBase(d, op, d.osz == 3 ? 3 : 2, d.rm);
            }
            if (op >= 5 && d.rep == 0 && !d.opsizePrefix) {
                return new SysOps(d, SysOps.FENCE);   // LFENCE, MFENCE, SFENCE
            }
            return ud();
        }
        if (op == 7 && d.rep == 0 && !d.opsizePrefix) {
            return new SysOps2.Clflush(d);
        }
        if (d.rep != 0 || d.opsizePrefix || op == 7) {
            return ud();
        }
        return new XState(d, op);
    }

    /** ARPL Ew, Gw (legacy protected mode). */
    static Op arpl(Decoder top) {
        return new SysOps2.Arpl(top.d);
    }
}
