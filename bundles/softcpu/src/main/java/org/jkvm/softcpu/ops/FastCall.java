package org.jkvm.softcpu.ops;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.FlagState;
import org.jkvm.softcpu.cpu.Vec;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.sys.Control;
import org.jkvm.softcpu.sys.Modes;

/** SYSCALL, SYSRET, SYSENTER, SYSEXIT (flat segments from STAR / SYSENTER_CS, Intel SDM and AMD APM). */
public final class FastCall extends Branch.BranchOp {
    public static final int SYSCALL = 0;
    public static final int SYSRET = 1;
    public static final int SYSENTER = 2;
    public static final int SYSEXIT = 3;
    private static final int CODE64 = 0x209b;
    private static final int CODE32 = 0xc09b;
    private static final int DATA = 0xc093;

    private final int kind;
    private final boolean wide;

    public FastCall(Dec d, int kind) {
        super(d);
        this.kind = kind;
        this.wide = d.rexW;
    }

    @Override
    public void exec(Cpu c) {
        switch (kind) {
            case SYSCALL: syscall(c); break;
            case SYSRET: sysret(c); break;
            case SYSENTER: sysenter(c); break;
            default: sysexit(c); break;
        }
        Modes.update(c);
    }

    private static void flat(Cpu c, int seg, int sel, int ar, int dpl) {
        Modes.setSeg(c, seg, sel, 0, 0xffffffffL, ar | dpl << 5);
    }

    private void syscall(Cpu c) {
        if ((c.efer & Control.EFER_SCE) == 0) {
            throw c.fault(Vec.UD);
        }
        int sel = (int) (c.star >>> 32) & 0xfffc;
        long fl = c.rflags();
        boolean from64 = c.code64;
        if (c.longMode) {
            c.r[1] = next;
            c.r[11] = fl & ~FlagState.RF;
            Modes.setCpl(c, 0);
            flat(c, Cpu.CS, sel, CODE64, 0);
            flat(c, Cpu.SS, sel + 8, DATA, 0);
            c.setRflags(fl & ~c.fmask & ~FlagState.RF);
            c.rip = from64 ? c.lstar : c.cstar;
        } else {
            c.r[1] = next & 0xffffffffL;
            Modes.setCpl(c, 0);
            flat(c, Cpu.CS, sel, CODE32, 0);
            flat(c, Cpu.SS, sel + 8, DATA, 0);
            c.setRflags(fl & ~(FlagState.VM | FlagState.IF | FlagState.RF));
            c.rip = c.star & 0xffffffffL;
        }
    }

    private void sysret(Cpu c) {
        if ((c.efer & Control.EFER_SCE) == 0) {
            throw c.fault(Vec.UD);
        }
        if (!c.protectedMode || c.cpl != 0) {
            throw c.fault(Vec.GP, 0);
        }
        int sel = (int) (c.star >>> 48) & 0xffff;
        if (c.longMode) {
            long target = wide ? c.r[1] : c.r[1] & 0xffffffffL;
            if (wide && ((target << 16) >> 16) != target) {
                throw c.fault(Vec.GP, 0);
            }
            c.setRflags((c.r[11] & 0x3c7fd7L) | 2);
            Modes.setCpl(c, 3);
            if (wide) {
                flat(c, Cpu.CS, (sel + 16) | 3, CODE64, 3);
            } else {
                flat(c, Cpu.CS, sel | 3, CODE32, 3);
            }
            c.rip = target;
        } else {
            c.flags |= FlagState.IF;
            Modes.setCpl(c, 3);
            flat(c, Cpu.CS, sel | 3, CODE32, 3);
            c.rip = c.r[1] & 0xffffffffL;
        }
        Modes.setSeg(c, Cpu.SS, (sel + 8) | 3, c.segBase[Cpu.SS], c.segLimit[Cpu.SS], DATA | 3 << 5);
        c.checkIrq = true;
    }

    private void sysenter(Cpu c) {
        int cs = (int) c.sysenterCs & 0xfffc;
        if (!c.protectedMode || cs == 0) {
            throw c.fault(Vec.GP, 0);
        }
        c.flags &= ~(FlagState.VM | FlagState.IF | FlagState.RF);
        Modes.setCpl(c, 0);
        flat(c, Cpu.CS, cs, c.longMode ? CODE64 : CODE32, 0);
        flat(c, Cpu.SS, cs + 8, DATA, 0);
        c.rip = c.longMode ? c.sysenterEip : c.sysenterEip & 0xffffffffL;
        c.r[4] = c.longMode ? c.sysenterEsp : c.sysenterEsp & 0xffffffffL;
    }

    private void sysexit(Cpu c) {
        int cs = (int) c.sysenterCs & 0xfffc;
        if (!c.protectedMode || cs == 0 || c.cpl != 0) {
            throw c.fault(Vec.GP, 0);
        }
        Modes.setCpl(c, 3);
        if (wide) {
            flat(c, Cpu.CS, (cs + 32) | 3, CODE64, 3);
            flat(c, Cpu.SS, (cs + 40) | 3, DATA, 3);
            c.rip = c.r[2];
            c.r[4] = c.r[1];
        } else {
            flat(c, Cpu.CS, (cs + 16) | 3, CODE32, 3);
            flat(c, Cpu.SS, (cs + 24) | 3, DATA, 3);
            c.rip = c.r[2] & 0xffffffffL;
            c.r[4] = c.r[1] & 0xffffffffL;
        }
    }
}
