package org.jkvm.softcpu.ops;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.FlagState;
import org.jkvm.softcpu.cpu.GuestFault;
import org.jkvm.softcpu.cpu.Vec;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.sys.Modes;
import org.jkvm.softcpu.sys.Segments;

/** LAR, LSL, VERR, VERW, ARPL, RDPID, RD/WR FS/GS BASE, CLFLUSH. */
public final class SysOps2 {
    private SysOps2() {
    }

    private static void setZf(Cpu c, boolean z) {
        c.setArith((c.arith() & ~FlagState.ZF) | (z ? FlagState.ZF : 0));
    }

    /** The descriptor of {@code sel} if it is visible at the current privilege, else 0 (never faults on it). */
    static long visible(Cpu c, int sel, boolean forLsl) {
        if ((sel & ~3) == 0) {
            return 0;
        }
        long d;
        try {
            d = Segments.read(c, sel, Vec.GP);
        } catch (GuestFault f) {
            return 0;
        }
        boolean conformingCode = Segments.codeData(d) && Segments.code(d) && (d & (1L << 42)) != 0;
        if (!Segments.codeData(d)) {
            int type = (int) (d >>> 40) & 0xf;
            boolean ok = forLsl ? type == 1 || type == 2 || type == 3 || type == 9 || type == 11
                    : type == 1 || type == 2 || type == 3 || type == 4 || type == 5 || type == 9 || type == 11
                    || type == 12;
            if (!ok || (c.longMode && type != 2 && type != 9 && type != 11 && (forLsl || type != 12))) {
                return 0;
            }
        }
        if (!conformingCode && (Segments.dpl(d) < c.cpl || Segments.dpl(d) < (sel & 3))) {
            return 0;
        }
        return d;
    }

    /** LAR (access rights) / LSL (limit). */
    public static final class LarLsl extends EOp {
        private final boolean lar;
        private final int dst;

        public LarLsl(Dec d, int s, boolean lar) {
            super(d, 1);
            this.lar = lar;
            this.dst = s;
        }

        @Override
        public void exec(Cpu c) {
            if (!c.protectedMode || c.vm86) {
                throw c.fault(Vec.UD);
            }
            int sel = (int) readE(c) & 0xffff;
            long d = visible(c, sel, !lar);
            if (d == 0) {
                setZf(c, false);
                return;
            }
            long v = lar ? (d >>> 32) & 0x00f0ff00L : Segments.limit(d);
            c.setReg(gReg, dst, 0, v);
            setZf(c, true);
        }
    }

    /** VERR / VERW. */
    public static final class Verify extends EOp {
        private final boolean write;

        public Verify(Dec d, boolean write) {
            super(d, 1);
            this.write = write;
        }

        @Override
        public void exec(Cpu c) {
            if (!c.protectedMode || c.vm86) {
                throw c.fault(Vec.UD);
            }
            long d = visible(c, (int) readE(c) & 0xffff, false);
            boolean ok = d != 0 && Segments.codeData(d);
            if (ok) {
                boolean code = Segments.code(d);
                boolean bit1 = (d & (1L << 41)) != 0;
                ok = write ? !code && bit1 : !code || bit1;
            }
            setZf(c, ok);
        }
    }

    /** ARPL Ew, Gw (legacy protected mode only). */
    public static final class Arpl extends EOp {
        public Arpl(Dec d) {
            super(d, 1);
        }

        @Override
        public void exec(Cpu c) {
            if (!c.protectedMode || c.vm86) {
                throw c.fault(Vec.UD);
            }
            long dst = loadRmw(c);
            long src = g(c);
            if ((dst & 3) < (src & 3)) {
                storeRmw(c, (dst & ~3L) | (src & 3));
                setZf(c, true);
            } else {
                storeRmw(c, dst);
                setZf(c, false);
            }
        }
    }

    /** RDPID reg (IA32_TSC_AUX). */
    public static final class Rdpid extends Op {
        private final int reg;

        public Rdpid(Dec d, int reg) {
            super(d);
            this.reg = reg;
        }

        @Override
        public void exec(Cpu c) {
            c.r[reg] = c.tscAux & 0xffffffffL;
        }
    }

    /** RDFSBASE, RDGSBASE, WRFSBASE, WRGSBASE (op 0-3), when CR4.FSGSBASE is set. */
    public static final class FsGsBase extends Op {
        private final int op;
        private final int s;
        private final int reg;

        public FsGsBase(Dec d, int op, int s, int reg) {
            super(d);
            this.op = op;
            this.s = s;
            this.reg = reg;
        }

        @Override
        public void exec(Cpu c) {
            if ((c.cr4 & (1L << 16)) == 0 || !c.code64) {
                throw c.fault(Vec.UD);
            }
            int seg = (op & 1) == 0 ? Cpu.FS : Cpu.GS;
            if (op < 2) {
                c.r[reg] = c.segBase[seg] & Cpu.MASK[s];
            } else {
                long v = s == 3 ? c.r[reg] : c.r[reg] & 0xffffffffL;
                if (((v << 16) >> 16) != v) {
                    throw c.fault(Vec.GP, 0);
                }
                c.segBase[seg] = v;
                Modes.segDerived(c, seg);
            }
        }
    }

    /** CLFLUSH m8: checks the address like a read; caches are not modelled. */
    public static final class Clflush extends EOp {
        public Clflush(Dec d) {
            super(d, 0);
        }

        @Override
        public void exec(Cpu c) {
            c.read(lin(c, 1, false), 0);
        }
    }
}
