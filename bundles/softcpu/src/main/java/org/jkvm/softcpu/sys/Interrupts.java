package org.jkvm.softcpu.sys;

import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.FlagState;
import org.jkvm.softcpu.cpu.GuestFault;
import org.jkvm.softcpu.cpu.Vec;

/**
 * Event delivery through the IVT (real mode) or IDT (protected mode: 16/32-bit interrupt and trap gates with the
 * stack switch through the TSS; long mode: 64-bit gates, IST, the 64-bit frame), and the double/triple fault
 * rules (Intel SDM vol. 3, 6.12-6.15). Delivery writes the new frame first and changes registers only once it
 * has succeeded, so a fault during delivery leaves the state of the interrupted instruction.
 */
public final class Interrupts {
    /** A hardware interrupt (EXT = 1, no gate DPL check). */
    public static final int EXTERNAL = 0;
    /** An exception (EXT = 1 for faults raised while delivering it). */
    public static final int EXCEPTION = 1;
    /** INT n / INT3 / INTO: the gate's DPL must allow the current privilege. */
    public static final int SOFTWARE = 2;

    private Interrupts() {
    }

    private static boolean contributory(int v) {
        return v == Vec.DE || (v >= Vec.TS && v <= Vec.GP);
    }

    /**
     * Delivers exception {@code f} raised by the instruction at {@code c.rip} (faults) or after it (traps: RIP
     * already advanced), applying the double- and triple-fault rules. A triple fault ends the run with
     * {@link VcpuExit#SHUTDOWN}.
     */
    public static void exception(Cpu c, GuestFault f) {
        int vector = f.vector;
        int error = f.error;
        boolean hasError = f.hasError;
        if (vector == Vec.PF) {
            c.cr2 = f.address;
        }
        event(c, vector, EXCEPTION, error, hasError, c.rip, 0);
    }

    /** Delivers an external interrupt with {@code vector} at the current instruction boundary. */
    public static void external(Cpu c, int vector) {
        c.halted = false;
        event(c, vector, EXTERNAL, 0, false, c.rip, 0);
    }

    /** INT n, INT3, INTO, INT1: a software event returning to {@code nextRip}. */
    public static void software(Cpu c, int vector, long nextRip) {
        event(c, vector, vector == Vec.DB ? EXCEPTION : SOFTWARE, 0, false, nextRip, 0);
    }

    private static void event(Cpu c, int vector, int kind, int error, boolean hasError, long ret, int depth) {
        try {
            deliver(c, vector, kind, error, hasError, ret);
        } catch (GuestFault g) {
            int second = g.vector;
            if (second == Vec.PF) {
                c.cr2 = g.address;
            }
            int first = kind == EXCEPTION ? vector : -1;
            if (first == Vec.DF || depth >= 3) {
                shutdown(c, "the guest triple-faulted: " + Vec.name(second) + " (error 0x"
                        + Integer.toHexString(g.error) + ") while delivering " + Vec.name(vector) + " at RIP 0x"
                        + Long.toHexString(c.rip));
                return;
            }
            boolean df = (contributory(first) && contributory(second))
                    || (first == Vec.PF && (second == Vec.PF || contributory(second)));
            // EXT: set when the fault struck while delivering an event external to the program (an interrupt or
            // an earlier exception), clear while delivering INT n / INT3 / INTO (SDM vol. 3, 6.13).
            int ge = g.hasError ? g.error | (kind == SOFTWARE ? 0 : 1) : 0;
            if (df) {
                event(c, Vec.DF, EXCEPTION, 0, true, c.rip, depth + 1);
            } else {
                event(c, second, EXCEPTION, ge, g.hasError, c.rip, depth + 1);
            }
        }
    }

    /** Ends the run with a shutdown (triple fault). */
    public static void shutdown(Cpu c, String why) {
        c.exit = VcpuExit.SHUTDOWN;
        c.exitDetail = why;
        c.shutdown = true;
    }

    private static void deliver(Cpu c, int vector, int kind, int error, boolean hasError, long ret) {
        int ext = kind == SOFTWARE ? 0 : 1;
        if (!c.protectedMode) {
            real(c, vector, ret);
        } else if (c.longMode) {
            long64(c, vector, kind, error, hasError, ret, ext);
        } else {
            legacy(c, vector, kind, error, hasError, ret, ext);
        }
        c.shadow = 0;
        c.movSsShadow = false;
    }

    private static void real(Cpu c, int vector, long ret) {
        if (vector * 4 + 3 > c.idtLimit) {
            throw c.fault(Vec.GP, vector * 8 + 2);
        }
        long ent = c.mmu.readSys(c.idtBase + vector * 4L, 2);
        long fl = c.rflags();
        long sp = c.r[4];
        c.addr(Cpu.SS, (sp - 6) & 0xffff, 6, true);
        c.push(fl, 1);
        c.push(c.segSel[Cpu.CS], 1);
        c.push(ret, 1);
        c.flags &= ~(FlagState.IF | FlagState.TF | FlagState.AC | FlagState.RF);
        Modes.setRealSeg(c, Cpu.CS, (int) (ent >>> 16) & 0xffff);
        c.rip = ent & 0xffff;
    }

    private static long gate(Cpu c, int vector, int kind, int ext, int size) {
        if ((long) vector * size + size - 1 > c.idtLimit) {
            throw c.fault(Vec.GP, vector * 8 + 2 + ext);
        }
        long g = c.mmu.readSys(c.idtBase + (long) vector * size, 3);
        int type = (int) (g >>> 40) & 0x1f;
        boolean ok = size == 16 ? type == 0xe || type == 0xf : type == 6 || type == 7 || type == 0xe || type == 0xf;
        if (!ok) {
            throw c.fault(Vec.GP, vector * 8 + 2 + ext);
        }
        if (kind == SOFTWARE && ((g >>> 45) & 3) < c.cpl) {
            throw c.fault(Vec.GP, vector * 8 + 2);
        }
        if ((g & (1L << 47)) == 0) {
            throw c.fault(Vec.NP, vector * 8 + 2 + ext);
        }
        return g;
    }

    /** The target code descriptor of a gate, checked; its DPL decides the new CPL. */
    private static long target(Cpu c, int sel, int ext) {
        if ((sel & ~3) == 0) {
            throw c.fault(Vec.GP, ext);
        }
        long d = Segments.read(c, sel, Vec.GP);
        if (!Segments.codeData(d) || !Segments.code(d) || Segments.dpl(d) > c.cpl) {
            throw c.fault(Vec.GP, (sel & 0xfffc) + ext);
        }
        if (!Segments.present(d)) {
            throw c.fault(Vec.NP, (sel & 0xfffc) + ext);
        }
        return d;
    }

    private static void legacy(Cpu c, int vector, int kind, int error, boolean hasError, long ret, int ext) {
        long g = gate(c, vector, kind, ext, 8);
        int type = (int) (g >>> 40) & 0xf;
        int s = (type & 8) != 0 ? 2 : 1;
        int sel = (int) (g >>> 16) & 0xffff;
        long off = (g & 0xffff) | (s == 2 ? (g >>> 32) & 0xffff0000L : 0);
        long d = target(c, sel, ext);
        boolean conforming = (d & (1L << 42)) != 0;
        int newCpl = conforming ? c.cpl : Segments.dpl(d);
        long fl = c.rflags();
        int n = 1 << s;
        if (c.vm86 && newCpl != 0) {
            throw c.fault(Vec.GP, (sel & 0xfffc) + ext);
        }
        if (newCpl < c.cpl) {
            long[] st = tssStack32(c, newCpl, ext);
            int ss = (int) st[0];
            long ssDesc = st[2];
            long ssBase = Segments.base(ssDesc);
            long spMask = (ssDesc & (1L << 54)) != 0 ? 0xffffffffL : 0xffffL;
            long sp = st[1];
            long[] frame = frame(c, fl, ret, error);
            int count = hasError ? 6 : 5;
            for (int k = 0; k < count; k++) {
                sp = (sp - n) & spMask;
                c.mmu.writeSys((ssBase + sp) & 0xffffffffL, s, frame[k]);
            }
            Segments.setAccessed(c, ss, ssDesc);
            Segments.loadCache(c, Cpu.SS, ss, ssDesc);
            c.r[4] = (c.r[4] & ~spMask) | sp;
        } else {
            long sp = c.r[4];
            int count = hasError ? 4 : 3;
            c.addr(Cpu.SS, (sp - (long) count * n) & c.spMask, count * n, true);
            c.push(fl, s);
            c.push(c.segSel[Cpu.CS], s);
            c.push(ret, s);
            if (hasError) {
                c.push(error, s);
            }
        }
        Segments.loadCs(c, sel, d, newCpl);
        c.rip = off;
        finishFlags(c, type);
    }

    /** The interrupt frame in push order (SS, SP, FLAGS, CS, IP, error), in the CPU's scratch array. */
    private static long[] frame(Cpu c, long fl, long ret, long error) {
        long[] f = c.frameScratch;
        f[0] = c.segSel[Cpu.SS];
        f[1] = c.r[4];
        f[2] = fl;
        f[3] = c.segSel[Cpu.CS];
        f[4] = ret;
        f[5] = error;
        return f;
    }

    /** SS, ESP and the SS descriptor for privilege {@code cpl} from the current 16/32-bit TSS, checked. */
    private static long[] tssStack32(Cpu c, int cpl, int ext) {
        int type = c.segAr[Cpu.TR] & 0xf;
        boolean tss32 = (type & 8) != 0;
        long base = c.segBase[Cpu.TR];
        long at = tss32 ? 4 + 8L * cpl : 2 + 4L * cpl;
        if (at + (tss32 ? 7 : 3) > c.segLimit[Cpu.TR]) {
            throw c.fault(Vec.TS, (c.segSel[Cpu.TR] & 0xfffc) + ext);
        }
        long sp = tss32 ? c.mmu.readSys(base + at, 2) : c.mmu.readSys(base + at, 1);
        int ss = (int) (tss32 ? c.mmu.readSys(base + at + 4, 1) : c.mmu.readSys(base + at + 2, 1));
        if ((ss & ~3) == 0) {
            throw c.fault(Vec.TS, ext);
        }
        long d = Segments.read(c, ss, Vec.TS);
        if ((ss & 3) != cpl || Segments.dpl(d) != cpl || !Segments.codeData(d) || Segments.code(d)
                || (d & (1L << 41)) == 0) {
            throw c.fault(Vec.TS, (ss & 0xfffc) + ext);
        }
        if (!Segments.present(d)) {
            throw c.fault(Vec.SS, (ss & 0xfffc) + ext);
        }
        long[] out = c.tableScratch;
        out[0] = ss;
        out[1] = sp;
        out[2] = d;
        return out;
    }

    private static void long64(Cpu c, int vector, int kind, int error, boolean hasError, long ret, int ext) {
        long g = gate(c, vector, kind, ext, 16);
        long hi = c.mmu.readSys(c.idtBase + vector * 16L + 8, 3);
        int type = (int) (g >>> 40) & 0xf;
        int sel = (int) (g >>> 16) & 0xffff;
        long off = (g & 0xffff) | ((g >>> 32) & 0xffff0000L) | (hi << 32);
        int ist = (int) (g >>> 32) & 7;
        long d = target(c, sel, ext);
        if ((d & (1L << 53)) == 0 || (d & (1L << 54)) != 0) {
            throw c.fault(Vec.GP, (sel & 0xfffc) + ext);
        }
        boolean conforming = (d & (1L << 42)) != 0;
        int newCpl = conforming ? c.cpl : Segments.dpl(d);
        long rsp = c.r[4];
        if (newCpl < c.cpl || ist != 0) {
            long at = ist != 0 ? 0x24 + 8L * (ist - 1) : 4 + 8L * newCpl;
            if (at + 7 > c.segLimit[Cpu.TR]) {
                throw c.fault(Vec.TS, (c.segSel[Cpu.TR] & 0xfffc) + ext);
            }
            rsp = c.mmu.readSys(c.segBase[Cpu.TR] + at, 3);
        }
        rsp &= ~0xfL;
        long fl = c.rflags();
        long[] frame = frame(c, fl, ret, error);
        int count = hasError ? 6 : 5;
        boolean user = newCpl == 3;
        long sp = rsp;
        for (int k = 0; k < count; k++) {
            sp -= 8;
            Mmu64.checkCanonical(c, sp);
            c.mmu.writeAs(sp, 3, frame[k], user);
        }
        if (newCpl < c.cpl) {
            Modes.setSeg(c, Cpu.SS, newCpl, 0, 0, Modes.AR_UNUSABLE | (newCpl << 5) | Modes.AR_DB);
        }
        c.r[4] = sp;
        Segments.loadCs(c, sel, d, newCpl);
        c.rip = off;
        finishFlags(c, type);
    }

    private static void finishFlags(Cpu c, int gateType) {
        c.flags &= ~(FlagState.TF | FlagState.NT | FlagState.RF | FlagState.VM);
        if ((gateType & 1) == 0) {
            c.flags &= ~FlagState.IF;
        }
        Modes.update(c);
    }

    /** Canonical-address check for the 64-bit frame. */
    static final class Mmu64 {
        private Mmu64() {
        }

        static void checkCanonical(Cpu c, long a) {
            if (((a << 16) >> 16) != a) {
                throw c.fault(Vec.SS, 0);
            }
        }
    }
}
