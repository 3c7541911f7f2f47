package org.jkvm.softcpu.decode;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.Vec;
import org.jkvm.softcpu.mem.Host;

/**
 * The decoder's state for one instruction: where its bytes are, its prefixes, ModRM/SIB operand and immediates.
 * Ops copy what they need from it in their constructors. Code bytes are read through the fetch path of the MMU
 * (execute permission, CS limit in legacy modes); the guest-physical pages touched are recorded for the block.
 */
public final class Dec {
    private final Cpu c;

    // Where.
    public long start;
    public long pos;
    /** 0 = 16-bit, 1 = 32-bit, 2 = 64-bit code. */
    public int mode;
    private long csBase;
    private long csLimit;
    private long pageVpn = -1;
    private long pageHost;
    /** Guest-physical pages the block's bytes come from (second = -1 unless it crosses). */
    public long firstPage;
    public long secondPage;

    // Prefixes.
    public int osz;
    public int asz;
    public int segOverride;
    public int rep;
    public boolean lock;
    public boolean rex;
    public boolean rexW;
    public int rexR;
    public int rexX;
    public int rexB;
    public boolean opsizePrefix;
    public int prefixBytes;

    // ModRM.
    public int modrm;
    public int mod;
    public int regField;
    public int rm;
    public int base;
    public int index;
    public int scale;
    public long disp;
    public boolean ripRel;
    public int effSeg;
    public long amask;

    /** VEX: the vvvv register (0-15), VEX.L and the implied prefix (0 none, 1 66, 2 F3, 3 F2). */
    public int vvvv;
    public int vexL;
    public int vexPp;

    /** Set by decodes whose memory form accepts a LOCK prefix. */
    public boolean lockOk;

    // Immediates.
    public long imm;
    public long imm2;

    public Dec(Cpu c) {
        this.c = c;
    }

    /** Starts a block at {@code rip} in the CPU's current mode. */
    public void startBlock(long rip) {
        mode = c.decodeMode;
        csBase = c.base[Cpu.CS];
        csLimit = mode == 2 ? -1L : c.segLimit[Cpu.CS];
        pageVpn = -1;
        firstPage = -1;
        secondPage = -1;
        pos = rip;
    }

    /** Resets the per-instruction state for an instruction at {@link #pos}. */
    public void startInsn() {
        start = pos;
        osz = mode == 0 ? 1 : 2;
        asz = mode + 1;
        segOverride = -1;
        rep = 0;
        lock = false;
        rex = false;
        rexW = false;
        rexR = 0;
        rexX = 0;
        rexB = 0;
        opsizePrefix = false;
        prefixBytes = 0;
        lockOk = false;
        mod = 0;
        modrm = -1;
        ripRel = false;
        base = 16;
        index = 16;
        scale = 0;
        disp = 0;
        effSeg = Cpu.DS;
        amask = -1;
    }

    /** The linear address of code offset {@code p}. */
    public long linear(long p) {
        return mode == 2 ? p : (csBase + (p & 0xffffffffL)) & 0xffffffffL;
    }

    /** Fetches the next code byte. */
    public int fetch8() {
        if (pos - start >= 15) {
            throw c.fault(Vec.GP, 0);
        }
        if (mode != 2 && Long.compareUnsigned(pos & 0xffffffffL, csLimit) > 0) {
            throw c.fault(Vec.GP, 0);
        }
        long lin = linear(pos);
        long vpn = lin >>> 12;
        if (vpn != pageVpn) {
            long h = c.mmu.fetchHost(lin);
            if (h < 0) {
                throw new NotRamException(c.mmu.lastGpa);
            }
            long phys = c.mmu.fetchPhysPage(lin);
            if (firstPage == -1) {
                firstPage = phys;
            } else if (phys != firstPage) {
                secondPage = phys;
            }
            pageVpn = vpn;
            pageHost = h - (lin & 0xfff);
        }
        pos++;
        return Host.U.getByte(pageHost + (lin & 0xfff)) & 0xff;
    }

    public long fetch16() {
        return fetch8() | (long) fetch8() << 8;
    }

    public long fetch32() {
        return fetch16() | fetch16() << 16;
    }

    /** A sign-extended immediate of {@code n} bytes (1, 2, 4, 8). */
    public long fetchSigned(int n) {
        switch (n) {
            case 1: return (byte) fetch8();
            case 2: return (short) fetch16();
            case 4: return (int) fetch32();
            default: return fetch32() | fetch32() << 32;
        }
    }

    /** An immediate of operand size {@code s}, at most 32 bits, sign-extended (Iz). */
    public long immZ(int s) {
        return fetchSigned(s == 0 ? 1 : s == 1 ? 2 : 4);
    }

    /** The page of the instruction being decoded (its first byte). */
    public long startVpn() {
        return linear(start) >>> 12;
    }

    // ---- ModRM -----------------------------------------------------------------------------------------------

    /** Reads a ModRM byte and its SIB and displacement. */
    public void modrm() {
        modrm = fetch8();
        mod = modrm >> 6;
        regField = ((modrm >> 3) & 7) | rexR;
        rm = (modrm & 7) | (mod == 3 ? rexB : 0);
        if (mod == 3) {
            return;
        }
        amask = asz == 1 ? 0xffffL : asz == 2 ? 0xffffffffL : -1L;
        int defSeg = Cpu.DS;
        if (asz == 1) {
            defSeg = modrm16();
        } else {
            defSeg = modrm32();
        }
        effSeg = segOverride >= 0 ? segOverride : defSeg;
    }

    private int modrm16() {
        int r = modrm & 7;
        int seg = Cpu.DS;
        switch (r) {
            case 0: base = 3; index = 6; break;
            case 1: base = 3; index = 7; break;
            case 2: base = 5; index = 6; seg = Cpu.SS; break;
            case 3: base = 5; index = 7; seg = Cpu.SS; break;
            case 4: base = 6; break;
            case 5: base = 7; break;
            case 6:
                if (mod == 0) {
                    disp = fetch16();
                    return seg;
                }
                base = 5;
                seg = Cpu.SS;
                break;
            default: base = 3; break;
        }
        if (mod == 1) {
            disp = (byte) fetch8();
        } else if (mod == 2) {
            disp = (short) fetch16();
        }
        return seg;
    }

    private int modrm32() {
        int r = modrm & 7;
        int seg = Cpu.DS;
        if (r == 4) {
            int sib = fetch8();
            scale = sib >> 6;
            int idx = ((sib >> 3) & 7) | rexX;
            index = idx == 4 ? 16 : idx;
            int b = sib & 7;
            if (b == 5 && mod == 0) {
                base = 16;
                disp = (int) fetch32();
            } else {
                base = b | rexB;
                // RSP and RBP bases address the stack segment; R12 and R13 (the same field with REX.B) do not.
                if (base == 4 || base == 5) {
                    seg = Cpu.SS;
                }
            }
        } else if (r == 5 && mod == 0) {
            disp = (int) fetch32();
            if (mode == 2) {
                ripRel = true;
            }
            return seg;
        } else {
            base = r | rexB;
            if (base == 5) {
                seg = Cpu.SS;
            }
        }
        if (mod == 1) {
            disp += (byte) fetch8();
        } else if (mod == 2) {
            disp += (int) fetch32();
        }
        return seg;
    }

    /** The displacement an op keeps: absolute for RIP-relative operands (call after all bytes are fetched). */
    public long dispFinal() {
        return ripRel ? (pos + disp) & amask : disp & amask;
    }

    /** Register number of a register E operand of size {@code s} (AH..BH map to 0-3 with shift 8). */
    public int rmReg(int s) {
        if (mod != 3) {
            return 16;
        }
        return s == 0 && !rex && rm >= 4 && rm < 8 ? rm - 4 : rm;
    }

    public int rmSh(int s) {
        return mod == 3 && s == 0 && !rex && rm >= 4 && rm < 8 ? 8 : 0;
    }

    public int gReg(int s) {
        return s == 0 && !rex && regField >= 4 && regField < 8 ? regField - 4 : regField;
    }

    public int gSh(int s) {
        return s == 0 && !rex && regField >= 4 && regField < 8 ? 8 : 0;
    }

    /** Register number for an opcode-embedded register {@code low3} (with REX.B) of size {@code s}. */
    public int opReg(int low3, int s) {
        int n = low3 | rexB;
        return s == 0 && !rex && n >= 4 && n < 8 ? n - 4 : n;
    }

    public int opSh(int low3, int s) {
        int n = low3 | rexB;
        return s == 0 && !rex && n >= 4 && n < 8 ? 8 : 0;
    }

    /** The segment of a string source / moffs operand: the override or DS. */
    public int dataSeg() {
        return segOverride >= 0 ? segOverride : Cpu.DS;
    }

    /** The instruction's bytes as hex, for the log (re-read through the fetch path). */
    public String bytes() {
        StringBuilder b = new StringBuilder();
        long save = pos;
        long p = start;
        pos = p;
        long st = start;
        try {
            for (long k = st; k < save; k++) {
                b.append(String.format("%02x ", fetch8()));
            }
        } catch (RuntimeException e) {
            b.append("?");
        }
        pos = save;
        return b.toString().trim();
    }

    /** The code is not in RAM (MMIO or nothing): the software CPU cannot execute it. */
    public static final class NotRamException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        public final long gpa;

        public NotRamException(long gpa) {
            super("the guest executes at guest-physical 0x" + Long.toHexString(gpa) + ", which is not RAM", null,
                    false, false);
            this.gpa = gpa;
        }
    }
}
