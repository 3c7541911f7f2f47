package org.jkvm.softcpu.ops;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.FlagState;
import org.jkvm.softcpu.cpu.Vec;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.sys.Modes;
import org.jkvm.softcpu.sys.Segments;

/**
 * IRET / IRETD / IRETQ: real mode, protected mode to the same or an outer privilege, long mode (64-bit mode always
 * pops SS:RSP). Nested-task returns (NT) and returns to virtual-8086 mode are not supported (#GP).
 */
public final class Iret extends Branch.BranchOp {
    private final int s;

    public Iret(Dec d, int s) {
        super(d);
        this.s = s;
    }

    @Override
    public void exec(Cpu c) {
        int n = 1 << s;
        if (!c.protectedMode) {
            long ip = c.peek(0, s);
            int cs = (int) c.peek(n, s) & 0xffff;
            long fl = c.peek(2 * n, s);
            c.adjustSp(3L * n);
            Modes.setRealSeg(c, Cpu.CS, cs);
            c.rip = ip;
            long mask = s == 1 ? 0xffffL : 0x257fd5L;
            setFlags(c, fl, mask);
            return;
        }
        if (c.vm86) {
            if ((c.flags & FlagState.IOPL) != FlagState.IOPL) {
                throw c.fault(Vec.GP, 0);
            }
            long ip = c.peek(0, s);
            int cs = (int) c.peek(n, s) & 0xffff;
            long fl = c.peek(2 * n, s);
            c.adjustSp(3L * n);
            Modes.setRealSeg(c, Cpu.CS, cs);
            c.rip = ip;
            setFlags(c, fl, (s == 1 ? 0xffffL : 0x257fd5L) & ~FlagState.IOPL);
            return;
        }
        if ((c.flags & FlagState.NT) != 0 && !c.longMode) {
            throw c.fault(Vec.GP, 0);
        }
        protectedIret(c, n);
    }

    private void protectedIret(Cpu c, int n) {
        long ip = c.peek(0, s);
        int sel = (int) c.peek(n, s) & 0xffff;
        long fl = c.peek(2 * n, s);
        if (s == 1) {
            fl = (c.rflags() & ~0xffffL) | (fl & 0xffff);
        }
        if ((fl & FlagState.VM) != 0 && !c.longMode && c.cpl == 0) {
            throw c.fault(Vec.GP, 0);
        }
        int rpl = sel & 3;
        if ((sel & ~3) == 0 || rpl < c.cpl) {
            throw c.fault(Vec.GP, sel & 0xfffc);
        }
        long d = Segments.read(c, sel, Vec.GP);
        boolean conforming = (d & (1L << 42)) != 0;
        if (!Segments.codeData(d) || !Segments.code(d)
                || (conforming ? Segments.dpl(d) > rpl : Segments.dpl(d) != rpl)) {
            throw c.fault(Vec.GP, sel & 0xfffc);
        }
        if (!Segments.present(d)) {
            throw c.fault(Vec.NP, sel & 0xfffc);
        }
        boolean popStack = rpl != c.cpl || c.code64;
        long sp = 0;
        int ss = 0;
        if (popStack) {
            sp = c.peek(3 * n, s);
            ss = (int) c.peek(4 * n, s) & 0xffff;
        }
        int oldCpl = c.cpl;
        long changeable = FlagState.ARITH | FlagState.TF | FlagState.DF | FlagState.NT | FlagState.IF
                | FlagState.IOPL | FlagState.AC | FlagState.ID | FlagState.RF | FlagState.VIF | FlagState.VIP;
        if (oldCpl > 0) {
            changeable &= ~(FlagState.IOPL | FlagState.VIF | FlagState.VIP);
        }
        if (oldCpl > ((c.flags & FlagState.IOPL) >>> 12)) {
            changeable &= ~FlagState.IF;
        }
        if (s == 1) {
            changeable &= 0xffff;
        }
        // Check the new SS before anything changes, so a fault leaves the IRET restartable.
        boolean nullSs = popStack && c.longMode && (ss & ~3) == 0 && rpl < 3 && (ss & 3) == rpl;
        long ssDesc = popStack && !nullSs ? Segments.checkSs(c, ss, rpl) : 0;
        Segments.loadCs(c, sel, d, rpl);
        if (popStack) {
            if (nullSs) {
                Modes.setSeg(c, Cpu.SS, ss, 0, 0, Modes.AR_UNUSABLE | (rpl << 5) | Modes.AR_DB);
            } else {
                Segments.loadCheckedSs(c, ss, ssDesc);
            }
            c.movSsShadow = false;
            c.r[4] = s == 1 ? (c.r[4] & ~0xffffL) | (sp & 0xffff) : s == 2 ? sp & 0xffffffffL : sp;
        } else {
            c.adjustSp(3L * n);
        }
        c.rip = ip;
        setFlags(c, fl, changeable);
        if (rpl > oldCpl) {
            Segments.nullifyForCpl(c);
        }
    }

    private static void setFlags(Cpu c, long fl, long changeable) {
        long old = c.rflags();
        c.setRflags((old & ~changeable) | (fl & changeable));
        Modes.update(c);
        c.checkIrq = true;
        // IRET ends the NMI-blocking window (SDM vol. 3, 6.7.1).
        c.nmiMasked = false;
    }
}
