package org.jkvm.softcpu.ops;

import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.hypervisor.x86.CpuidEntry;
import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.FlagState;
import org.jkvm.softcpu.cpu.Vec;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.sys.Control;
import org.jkvm.softcpu.sys.Io;
import org.jkvm.softcpu.sys.Modes;

/** Instructions without operands that touch flags, privilege or the platform (kind = one of the constants). */
public final class SysOps extends Op {
    public static final int NOP = 0;
    public static final int CLC = 1;
    public static final int STC = 2;
    public static final int CMC = 3;
    public static final int CLD = 4;
    public static final int STD = 5;
    public static final int CLI = 6;
    public static final int STI = 7;
    public static final int HLT = 8;
    public static final int CPUID = 9;
    public static final int RDTSC = 10;
    public static final int RDTSCP = 11;
    public static final int RDMSR = 12;
    public static final int WRMSR = 13;
    public static final int LAHF = 14;
    public static final int SAHF = 15;
    public static final int PRIV_NOP = 16;
    public static final int CLTS = 17;
    public static final int SWAPGS = 18;
    public static final int SALC = 19;
    public static final int XLAT = 20;
    public static final int PAUSE = 21;
    /** MFENCE/LFENCE/SFENCE: a full JVM fence, so plain guest stores before it are visible to other vCPUs' loads. */
    public static final int FENCE = 22;

    private final int kind;
    private final int seg;
    private final long amask;

    public SysOps(Dec d, int kind) {
        super(d);
        this.kind = kind;
        this.seg = d.dataSeg();
        this.amask = d.asz == 1 ? 0xffffL : d.asz == 2 ? 0xffffffffL : -1L;
    }

    @Override
    public boolean endsBlock() {
        return kind == STI || kind == HLT || kind == WRMSR || kind == CLTS || kind == PAUSE;
    }

    /** #GP(0) unless CPL is 0. */
    public static void requireCpl0(Cpu c) {
        if (c.cpl != 0) {
            throw c.fault(Vec.GP, 0);
        }
    }

    /** #GP(0) unless CPL <= IOPL (CLI/STI in protected mode). */
    static void requireIopl(Cpu c) {
        if (c.protectedMode && c.cpl > ((c.flags & FlagState.IOPL) >>> 12)) {
            throw c.fault(Vec.GP, 0);
        }
    }

    @Override
    public void exec(Cpu c) {
        switch (kind) {
            case NOP: case PAUSE: return;
            case FENCE: java.lang.invoke.VarHandle.fullFence(); return;
            case CLC: c.setCf(false); return;
            case STC: c.setCf(true); return;
            case CMC: c.setCf(!c.cf()); return;
            case CLD: c.flags &= ~FlagState.DF; return;
            case STD: c.flags |= FlagState.DF; return;
            case CLI: requireIopl(c); c.flags &= ~FlagState.IF; return;
            case STI:
                requireIopl(c);
                if ((c.flags & FlagState.IF) == 0) {
                    c.flags |= FlagState.IF;
                    c.shadow = 1;
                    c.checkIrq = true;
                }
                return;
            case HLT:
                requireCpl0(c);
                c.halted = true;
                c.exit = VcpuExit.HLT;
                return;
            case CPUID: cpuid(c); return;
            case RDTSC: case RDTSCP: rdtsc(c); return;
            case RDMSR: {
                requireCpl0(c);
                long v = c.msrs.read(c, (int) c.r[1]);
                c.r[0] = v & 0xffffffffL;
                c.r[2] = v >>> 32;
                return;
            }
            case WRMSR:
                requireCpl0(c);
                c.msrs.write(c, (int) c.r[1], (c.r[2] << 32) | (c.r[0] & 0xffffffffL));
                return;
            case LAHF:
                c.r[0] = (c.r[0] & ~0xff00L) | ((c.arith() & 0xd5 | 2) << 8);
                return;
            case SAHF:
                c.setArith((c.arith() & ~0xd5L) | ((c.r[0] >>> 8) & 0xd5));
                return;
            case PRIV_NOP: requireCpl0(c); return;
            case CLTS: requireCpl0(c); c.cr0 &= ~Control.CR0_TS; return;
            case SWAPGS: {
                requireCpl0(c);
                long t = c.segBase[Cpu.GS];
                c.segBase[Cpu.GS] = c.kernelGsBase;
                c.kernelGsBase = t;
                Modes.segDerived(c, Cpu.GS);
                return;
            }
            case SALC: c.setReg(0, 0, 0, c.cf() ? 0xff : 0); return;
            default: {
                long ea = ((c.r[3] & amask) + (c.r[0] & 0xff)) & amask;
                c.setReg(0, 0, 0, c.read(c.addr(seg, ea, 1, false), 0));
            }
        }
    }

    private void rdtsc(Cpu c) {
        if ((c.cr4 & (1 << 2)) != 0 && c.cpl != 0) {
            throw c.fault(Vec.GP, 0);
        }
        long t = c.tsc.read();
        c.r[0] = t & 0xffffffffL;
        c.r[2] = t >>> 32;
        if (kind == RDTSCP) {
            c.r[1] = c.tscAux & 0xffffffffL;
        }
    }

    private static void cpuid(Cpu c) {
        int leaf = (int) c.r[0];
        int sub = (int) c.r[1];
        CpuidEntry e = c.cpuid.find(leaf, sub);
        long a = 0;
        long b = 0;
        long cx = 0;
        long d = 0;
        if (e != null) {
            a = e.eax() & 0xffffffffL;
            b = e.ebx() & 0xffffffffL;
            cx = e.ecx() & 0xffffffffL;
            d = e.edx() & 0xffffffffL;
        }
        if (leaf == 1) {
            b = (b & 0x00ffffffL) | ((long) c.id << 24);
            cx = (cx & ~(1L << 27)) | ((c.cr4 & (1L << 18)) != 0 ? 1L << 27 : 0);
        }
        c.r[0] = a;
        c.r[3] = b;
        c.r[1] = cx;
        c.r[2] = d;
    }

    /** IN / OUT with an immediate port or DX. */
    public static final class InOut extends Op {
        private final boolean in;
        private final int port;
        private final int s;

        /** @param port the port, or -1 for DX */
        public InOut(Dec d, boolean in, int port, int s) {
            super(d);
            this.in = in;
            this.port = port;
            this.s = s;
        }

        @Override
        public void exec(Cpu c) {
            int p = port >= 0 ? port : (int) c.r[2] & 0xffff;
            Io.check(c, p, 1 << s);
            if (in) {
                c.setReg(0, s, 0, Io.in(c, p, s));
            } else {
                Io.out(c, p, s, c.r[0]);
            }
        }
    }

    /** PUSHF / PUSHFD / PUSHFQ: VM and RF read as 0 in the image; #GP in virtual-8086 mode below IOPL 3. */
    public static final class Pushf extends Op {
        private final int s;

        public Pushf(Dec d, int s) {
            super(d);
            this.s = s;
        }

        @Override
        public void exec(Cpu c) {
            if (c.vm86 && (c.flags & FlagState.IOPL) != FlagState.IOPL) {
                throw c.fault(Vec.GP, 0);
            }
            c.push(c.rflags() & ~(FlagState.VM | FlagState.RF), s);
        }
    }

    /** POPF: IOPL changes only at CPL 0, IF only when CPL <= IOPL; VM, VIP, VIF never change; RF is cleared. */
    public static final class Popf extends Op {
        private final int s;

        public Popf(Dec d, int s) {
            super(d);
            this.s = s;
        }

        @Override
        public boolean endsBlock() {
            return true;
        }

        @Override
        public void exec(Cpu c) {
            long iopl = (c.flags & FlagState.IOPL) >>> 12;
            if (c.vm86 && iopl != 3) {
                throw c.fault(Vec.GP, 0);
            }
            long v = c.peek(0, s);
            c.adjustSp(1 << s);
            long changeable = FlagState.ARITH | FlagState.TF | FlagState.DF | FlagState.NT | FlagState.IF
                    | FlagState.IOPL | FlagState.AC | FlagState.ID;
            if (c.protectedMode && c.cpl > 0) {
                changeable &= ~FlagState.IOPL;
            }
            if (c.protectedMode && c.cpl > iopl) {
                changeable &= ~FlagState.IF;
            }
            if (s == 1) {
                changeable &= 0xffff;
            }
            long old = c.rflags();
            c.setRflags((old & ~changeable & ~FlagState.RF) | (v & changeable));
            if ((c.flags & FlagState.IF) != 0) {
                c.checkIrq = true;
            }
        }
    }
}
