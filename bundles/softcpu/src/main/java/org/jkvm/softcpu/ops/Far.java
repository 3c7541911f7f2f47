package org.jkvm.softcpu.ops;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.FlagState;
import org.jkvm.softcpu.cpu.Vec;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.sys.Interrupts;
import org.jkvm.softcpu.sys.Modes;
import org.jkvm.softcpu.sys.Segments;

/** Far transfers, segment-register moves and software interrupts. */
public final class Far {
    private Far() {
    }

    /** Far JMP/CALL to {@code sel:off} in the current mode (same privilege; no gates). */
    static void farTransfer(Cpu c, int sel, long off, boolean call, int s, long retIp) {
        if (!c.protectedMode || c.vm86) {
            if (call) {
                c.addr(Cpu.SS, (c.r[4] - 2L * (1 << s)) & c.spMask, 2 << s, true);
                c.push(c.segSel[Cpu.CS], s);
                c.push(retIp, s);
            }
            Modes.setRealSeg(c, Cpu.CS, sel);
            c.rip = off & (s == 1 ? 0xffffL : 0xffffffffL);
            return;
        }
        long d = Segments.checkFarCode(c, sel);
        long limit = Segments.limit(d);
        boolean target64 = c.longMode && (d & (1L << 53)) != 0;
        if (!target64 && Long.compareUnsigned(off, limit) > 0) {
            throw c.fault(Vec.GP, 0);
        }
        if (call) {
            c.addr(Cpu.SS, (c.r[4] - 2L * (1 << s)) & c.spMask, 2 << s, true);
            c.push(c.segSel[Cpu.CS], s);
            c.push(retIp, s);
        }
        Segments.loadCs(c, sel, d, c.cpl);
        c.rip = off;
    }

    /** JMP ptr16:16/32 and CALL ptr16:16/32 (EA, 9A). */
    public static final class Direct extends Branch.BranchOp {
        private final int sel;
        private final long off;
        private final boolean call;
        private final int s;

        public Direct(Dec d, int sel, long off, boolean call, int s) {
            super(d);
            this.sel = sel;
            this.off = off;
            this.call = call;
            this.s = s;
        }

        @Override
        public void exec(Cpu c) {
            farTransfer(c, sel, off, call, s, next);
        }
    }

    /** JMP m16:16/32/64 and CALL m16:16/32/64 (FF /5, /3). */
    public static final class Indirect extends EOp {
        private final boolean call;

        public Indirect(Dec d, int s, boolean call) {
            super(d, s);
            this.call = call;
        }

        @Override
        public boolean endsBlock() {
            return true;
        }

        @Override
        public void exec(Cpu c) {
            if (isReg) {
                throw c.fault(Vec.UD);
            }
            int n = 1 << s;
            long e = ea(c);
            long off = c.read(c.addr(seg, e, n, false), s);
            int sel = (int) c.read(c.addr(seg, (e + n) & amask, 2, false), 1);
            farTransfer(c, sel, off, call, s, next);
        }
    }

    /** RETF [imm16] (same or outer privilege). */
    public static final class Retf extends Branch.BranchOp {
        private final int imm;
        private final int s;

        public Retf(Dec d, int imm, int s) {
            super(d);
            this.imm = imm;
            this.s = s;
        }

        @Override
        public void exec(Cpu c) {
            int n = 1 << s;
            long off = c.peek(0, s);
            int sel = (int) c.peek(n, s) & 0xffff;
            if (!c.protectedMode || c.vm86) {
                c.adjustSp(2L * n + imm);
                Modes.setRealSeg(c, Cpu.CS, sel);
                c.rip = off;
                return;
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
            if (rpl == c.cpl) {
                c.adjustSp(2L * n + imm);
                Segments.loadCs(c, sel, d, rpl);
                c.rip = off;
                return;
            }
            long sp = c.peek(2 * n + imm, s);
            int ss = (int) c.peek(3 * n + imm, s) & 0xffff;
            boolean nullSs = c.longMode && (ss & ~3) == 0 && rpl < 3 && (ss & 3) == rpl;
            long ssDesc = nullSs ? 0 : Segments.checkSs(c, ss, rpl);
            Segments.loadCs(c, sel, d, rpl);
            if (nullSs) {
                Modes.setSeg(c, Cpu.SS, ss, 0, 0, Modes.AR_UNUSABLE | (rpl << 5) | Modes.AR_DB);
            } else {
                Segments.loadCheckedSs(c, ss, ssDesc);
            }
            c.r[4] = s == 1 ? (c.r[4] & ~0xffffL) | (sp & 0xffff) : sp;
            c.adjustSp(imm);
            c.rip = off;
            Segments.nullifyForCpl(c);
        }
    }

    /** MOV Sreg, E (8E); MOV CS raises #UD. */
    public static final class MovToSreg extends EOp {
        private final int sreg;

        public MovToSreg(Dec d, int sreg) {
            super(d, 1);
            this.sreg = sreg;
        }

        @Override
        public boolean endsBlock() {
            return sreg == Cpu.SS;
        }

        @Override
        public void exec(Cpu c) {
            Segments.load(c, sreg, (int) readE(c));
        }
    }

    /** MOV E, Sreg (8C): a register destination gets the zero-extended selector at 32/64 bits. */
    public static final class MovFromSreg extends EOp {
        private final int sreg;

        public MovFromSreg(Dec d, int s, int sreg) {
            super(d, isRegOf(d) ? s : 1);
            this.sreg = sreg;
        }

        private static boolean isRegOf(Dec d) {
            return d.mod == 3;
        }

        @Override
        public void exec(Cpu c) {
            writeE(c, c.segSel[sreg]);
        }
    }

    /** PUSH Sreg. */
    public static final class PushSreg extends Op {
        private final int sreg;
        private final int s;

        public PushSreg(Dec d, int sreg, int s) {
            super(d);
            this.sreg = sreg;
            this.s = s;
        }

        @Override
        public void exec(Cpu c) {
            c.push(c.segSel[sreg], s);
        }
    }

    /** POP Sreg. */
    public static final class PopSreg extends Op {
        private final int sreg;
        private final int s;

        public PopSreg(Dec d, int sreg, int s) {
            super(d);
            this.sreg = sreg;
            this.s = s;
        }

        @Override
        public boolean endsBlock() {
            return sreg == Cpu.SS;
        }

        @Override
        public void exec(Cpu c) {
            int sel = (int) c.peek(0, s) & 0xffff;
            Segments.load(c, sreg, sel);
            c.adjustSp(1 << s);
        }
    }

    /** LDS, LES, LSS, LFS, LGS G, Mp. */
    public static final class LoadFar extends EOp {
        private final int sreg;

        public LoadFar(Dec d, int s, int sreg) {
            super(d, s);
            this.sreg = sreg;
        }

        @Override
        public boolean endsBlock() {
            return sreg == Cpu.SS;
        }

        @Override
        public void exec(Cpu c) {
            if (isReg) {
                throw c.fault(Vec.UD);
            }
            int n = 1 << s;
            long e = ea(c);
            long off = c.read(c.addr(seg, e, n, false), s);
            int sel = (int) c.read(c.addr(seg, (e + n) & amask, 2, false), 1);
            Segments.load(c, sreg, sel);
            setG(c, off);
        }
    }

    /** INT n, INT3, INTO, INT1 (ICEBP). */
    public static final class Int extends Branch.BranchOp {
        private final int vector;
        private final boolean into;
        private final boolean int1;

        public Int(Dec d, int vector, boolean into, boolean int1) {
            super(d);
            this.vector = vector;
            this.into = into;
            this.int1 = int1;
        }

        @Override
        public void exec(Cpu c) {
            if (into && !c.of()) {
                return;
            }
            if (c.vm86 && !int1 && (c.flags & FlagState.IOPL) != FlagState.IOPL) {
                throw c.fault(Vec.GP, 0);
            }
            c.rip = rip;
            Interrupts.software(c, vector, next);
        }
    }
}
