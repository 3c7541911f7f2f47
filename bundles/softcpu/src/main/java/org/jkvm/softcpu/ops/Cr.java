package org.jkvm.softcpu.ops;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.Vec;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.sys.Control;
import org.jkvm.softcpu.sys.Modes;
import org.jkvm.softcpu.sys.Segments;

/**
 * Control, debug and descriptor-table registers: MOV CR/DR, LMSW, SMSW, LGDT, LIDT, SGDT, SIDT, LLDT, LTR, SLDT, STR,
 * INVLPG.
 */
public final class Cr {
    public static final int LGDT = 0;
    public static final int LIDT = 1;
    public static final int SGDT = 2;
    public static final int SIDT = 3;
    public static final int SMSW = 4;
    public static final int LMSW = 5;
    public static final int INVLPG = 6;
    public static final int LLDT = 7;
    public static final int LTR = 8;
    public static final int SLDT = 9;
    public static final int STR = 10;

    private Cr() {
    }

    /** MOV CRn, reg (toCr) or MOV reg, CRn: always 64-bit in long mode, else 32-bit. */
    public static final class MovCr extends Op {
        private final boolean toCr;
        private final int cr;
        private final int reg;

        public MovCr(Dec d, boolean toCr, int cr, int reg) {
            super(d);
            this.toCr = toCr;
            this.cr = cr;
            this.reg = reg;
        }

        @Override
        public boolean endsBlock() {
            return toCr;
        }

        @Override
        public void exec(Cpu c) {
            SysOps.requireCpl0(c);
            if (toCr) {
                Control.writeCr(c, cr, c.longMode ? c.r[reg] : c.r[reg] & 0xffffffffL);
            } else {
                long v = Control.readCr(c, cr);
                c.r[reg] = c.longMode ? v : v & 0xffffffffL;
            }
        }
    }

    /** MOV DRn, reg or MOV reg, DRn (breakpoints are stored, not armed). */
    public static final class MovDr extends Op {
        private final boolean toDr;
        private final int dr;
        private final int reg;

        public MovDr(Dec d, boolean toDr, int dr, int reg) {
            super(d);
            this.toDr = toDr;
            this.dr = dr;
            this.reg = reg;
        }

        @Override
        public void exec(Cpu c) {
            SysOps.requireCpl0(c);
            int n = dr == 4 || dr == 5 ? dr + 2 : dr;
            if (dr == 4 || dr == 5) {
                if ((c.cr4 & (1 << 3)) != 0) {
                    throw c.fault(Vec.UD);
                }
            }
            if (toDr) {
                long v = c.longMode ? c.r[reg] : c.r[reg] & 0xffffffffL;
                if ((n == 6 || n == 7) && (v >>> 32) != 0) {
                    throw c.fault(Vec.GP, 0);
                }
                c.dr[n] = n == 6 ? (v | 0xffff0ff0L) & 0xffffffffL : n == 7 ? (v | 0x400) & ~0xd000L : v;
            } else {
                c.r[reg] = c.longMode ? c.dr[n] : c.dr[n] & 0xffffffffL;
            }
        }
    }

    /** The table and MSW instructions with a ModRM operand. */
    public static final class Table extends EOp {
        private final int kind;
        private final int osz;
        private final boolean mode64;

        public Table(Dec d, int kind) {
            super(d, kind == SMSW || kind == SLDT || kind == STR ? (d.mod == 3 ? d.osz : 1) : 1);
            this.kind = kind;
            this.osz = d.osz;
            this.mode64 = d.mode == 2;
        }

        @Override
        public boolean endsBlock() {
            return kind == LMSW || kind == INVLPG;
        }

        @Override
        public void exec(Cpu c) {
            switch (kind) {
                case LGDT: case LIDT: loadTable(c); return;
                case SGDT: case SIDT: storeTable(c); return;
                case SMSW: writeE(c, c.cr0 & (isReg ? Cpu.MASK[s] : 0xffff)); return;
                case SLDT: writeE(c, c.segSel[Cpu.LDTR]); return;
                case STR: writeE(c, c.segSel[Cpu.TR]); return;
                case LMSW: {
                    SysOps.requireCpl0(c);
                    long v = readE(c) & 0xf;
                    // LMSW can set PE but never clear it.
                    Control.writeCr0(c, (c.cr0 & ~0xeL) | v | (c.cr0 & 1));
                    return;
                }
                case INVLPG:
                    if (isReg) {
                        throw c.fault(Vec.UD);
                    }
                    SysOps.requireCpl0(c);
                    c.mmu.flushPage(c.addr(seg, ea(c), 1, false) & (c.code64 ? -1L : 0xffffffffL));
                    return;
                case LLDT: lldt(c); return;
                default: ltr(c);
            }
        }

        private void loadTable(Cpu c) {
            if (isReg) {
                throw c.fault(Vec.UD);
            }
            SysOps.requireCpl0(c);
            long e = ea(c);
            int limit = (int) c.read(c.addr(seg, e, 2, false), 1);
            long base = c.read(c.addr(seg, (e + 2) & amask, mode64 ? 8 : 4, false), mode64 ? 3 : 2);
            if (!mode64 && osz == 1) {
                base &= 0xffffff;
            }
            if (kind == LGDT) {
                c.gdtBase = base;
                c.gdtLimit = limit;
            } else {
                c.idtBase = base;
                c.idtLimit = limit;
            }
        }

        private void storeTable(Cpu c) {
            if (isReg) {
                throw c.fault(Vec.UD);
            }
            long e = ea(c);
            long base = kind == SGDT ? c.gdtBase : c.idtBase;
            int limit = kind == SGDT ? c.gdtLimit : c.idtLimit;
            long l2 = c.addr(seg, (e + 2) & amask, mode64 ? 8 : 4, true);
            c.probeWrite(l2, mode64 ? 3 : 2);
            c.write(c.addr(seg, e, 2, true), 1, limit);
            c.write(l2, mode64 ? 3 : 2, base);
        }

        private void lldt(Cpu c) {
            if (!c.protectedMode || c.vm86) {
                throw c.fault(Vec.UD);
            }
            SysOps.requireCpl0(c);
            int sel = (int) readE(c) & 0xffff;
            if ((sel & ~3) == 0) {
                Modes.setSeg(c, Cpu.LDTR, sel, 0, 0, Modes.AR_UNUSABLE);
                return;
            }
            if ((sel & 4) != 0) {
                throw c.fault(Vec.GP, sel & 0xfffc);
            }
            long d = Segments.read(c, sel, Vec.GP);
            if (Segments.codeData(d) || ((d >>> 40) & 0xf) != 2) {
                throw c.fault(Vec.GP, sel & 0xfffc);
            }
            if (!Segments.present(d)) {
                throw c.fault(Vec.NP, sel & 0xfffc);
            }
            long base = Segments.base(d);
            if (c.longMode) {
                base |= Segments.readHigh(c, sel, Vec.GP) << 32;
            }
            Modes.setSeg(c, Cpu.LDTR, sel, base, Segments.limit(d), Segments.ar(d));
        }

        private void ltr(Cpu c) {
            if (!c.protectedMode || c.vm86) {
                throw c.fault(Vec.UD);
            }
            SysOps.requireCpl0(c);
            int sel = (int) readE(c) & 0xffff;
            if ((sel & ~3) == 0 || (sel & 4) != 0) {
                throw c.fault(Vec.GP, sel & 0xfffc);
            }
            long d = Segments.read(c, sel, Vec.GP);
            int type = (int) (d >>> 40) & 0xf;
            if (Segments.codeData(d) || (type != 1 && type != 9) || (c.longMode && type != 9)) {
                throw c.fault(Vec.GP, sel & 0xfffc);
            }
            if (!Segments.present(d)) {
                throw c.fault(Vec.NP, sel & 0xfffc);
            }
            long base = Segments.base(d);
            if (c.longMode) {
                base |= Segments.readHigh(c, sel, Vec.GP) << 32;
            }
            long table = c.gdtBase + (sel & ~7);
            c.mmu.writeSys(table + 5, 0, (d >>> 40) | 2);
            Modes.setSeg(c, Cpu.TR, sel, base, Segments.limit(d), Segments.ar(d) | 2);
        }
    }
}
