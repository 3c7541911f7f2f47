package org.jkvm.softcpu.sys;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.Vec;

/**
 * Descriptor-table access and segment-register loads with the protected-mode checks (Intel SDM vol. 3, 5.4-5.8 and
 * the MOV/POP Sreg pseudo-code): null selectors, table limits, descriptor types, privilege, presence. Errors carry
 * the selector (#GP(sel), #NP(sel), #SS(sel)). Accessed bits are set in memory as the CPU does.
 */
public final class Segments {
    private static final int[] DATA_SEGS = {Cpu.ES, Cpu.DS, Cpu.FS, Cpu.GS};

    private Segments() {
    }

    /** The descriptor for {@code sel} (8 bytes), or raises {@code vector}(sel & ~3) when outside its table. */
    public static long read(Cpu c, int sel, int vector) {
        long[] t = table(c, sel, vector);
        return c.mmu.readSys(t[0] + (sel & ~7), 3);
    }

    /** The upper 8 bytes of a 16-byte system descriptor (64-bit TSS/LDT, gates). */
    public static long readHigh(Cpu c, int sel, int vector) {
        long[] t = table(c, sel, vector);
        if ((sel & ~7) + 15 > t[1]) {
            throw c.fault(vector, sel & 0xfffc);
        }
        return c.mmu.readSys(t[0] + (sel & ~7) + 8, 3);
    }

    private static long[] table(Cpu c, int sel, int vector) {
        long tbase;
        long tlimit;
        if ((sel & 4) != 0) {
            if ((c.segAr[Cpu.LDTR] & Modes.AR_UNUSABLE) != 0) {
                throw c.fault(vector, sel & 0xfffc);
            }
            tbase = c.segBase[Cpu.LDTR];
            tlimit = c.segLimit[Cpu.LDTR];
        } else {
            tbase = c.gdtBase;
            tlimit = c.gdtLimit;
        }
        if ((sel & ~7) + 7 > tlimit) {
            throw c.fault(vector, sel & 0xfffc);
        }
        c.tableScratch[0] = tbase;
        c.tableScratch[1] = tlimit;
        return c.tableScratch;
    }

    /** Sets the accessed bit of the descriptor of {@code sel} (type bit 0) if it is clear. */
    public static void setAccessed(Cpu c, int sel, long desc) {
        if ((desc & (1L << 40)) == 0) {
            long tbase = (sel & 4) != 0 ? c.segBase[Cpu.LDTR] : c.gdtBase;
            c.mmu.writeSys(tbase + (sel & ~7) + 5, 0, (desc >>> 40) | 1);
        }
    }

    public static long base(long d) {
        return ((d >>> 16) & 0xffffffL) | ((d >>> 32) & 0xff000000L);
    }

    public static long limit(long d) {
        long l = (d & 0xffff) | ((d >>> 32) & 0xf0000L);
        return (d & (1L << 55)) != 0 ? (l << 12) | 0xfff : l;
    }

    /** Access rights in SegmentRegister.accessRights() layout. */
    public static int ar(long d) {
        return (int) ((d >>> 40) & 0xff) | (int) ((d >>> 52) & 0xf) << 12;
    }

    public static int dpl(long d) {
        return (int) (d >>> 45) & 3;
    }

    public static boolean present(long d) {
        return (d & (1L << 47)) != 0;
    }

    /** Code or data (S = 1). */
    public static boolean codeData(long d) {
        return (d & (1L << 44)) != 0;
    }

    public static boolean code(long d) {
        return (d & (1L << 43)) != 0;
    }

    /** Loads the cache of {@code seg} from descriptor {@code d} (accessed bit set). */
    public static void loadCache(Cpu c, int seg, int sel, long d) {
        Modes.setSeg(c, seg, sel, base(d), limit(d), ar(d) | 1);
    }

    /** MOV/POP to DS, ES, FS, GS or SS (LDS... too): the mode's rules, then the load. */
    public static void load(Cpu c, int seg, int sel) {
        sel &= 0xffff;
        if (!c.protectedMode || c.vm86) {
            Modes.setRealSeg(c, seg, sel);
            if (seg == Cpu.SS) {
                c.movSsShadow = true;
            }
            return;
        }
        if (seg == Cpu.SS) {
            loadSs(c, sel);
            return;
        }
        if ((sel & ~3) == 0) {
            Modes.setSeg(c, seg, sel, 0, 0, Modes.AR_UNUSABLE);
            return;
        }
        long d = read(c, sel, Vec.GP);
        int rpl = sel & 3;
        boolean readableCode = code(d) && (d & (1L << 41)) != 0;
        boolean conforming = code(d) && (d & (1L << 42)) != 0;
        if (!codeData(d) || (code(d) && !readableCode)) {
            throw c.fault(Vec.GP, sel & 0xfffc);
        }
        if (!conforming && (rpl > dpl(d) || c.cpl > dpl(d))) {
            throw c.fault(Vec.GP, sel & 0xfffc);
        }
        if (!present(d)) {
            throw c.fault(Vec.NP, sel & 0xfffc);
        }
        setAccessed(c, sel, d);
        loadCache(c, seg, sel, d);
    }

    private static void loadSs(Cpu c, int sel) {
        c.movSsShadow = true;
        if ((sel & ~3) == 0) {
            // 64-bit mode allows a null SS below CPL 3 (RPL must equal CPL).
            if (c.code64 && c.cpl < 3 && (sel & 3) == c.cpl) {
                Modes.setSeg(c, Cpu.SS, sel, 0, 0, Modes.AR_UNUSABLE | (c.cpl << 5) | Modes.AR_DB);
                return;
            }
            throw c.fault(Vec.GP, 0);
        }
        long d = checkSs(c, sel, c.cpl);
        setAccessed(c, sel, d);
        loadCache(c, Cpu.SS, sel, d);
    }

    /**
     * Checks a non-null stack selector for privilege {@code cpl} (writable data, RPL = DPL = cpl, present) and
     * returns its descriptor, changing nothing: RET/IRET to an outer level check the new SS before loading CS.
     */
    public static long checkSs(Cpu c, int sel, int cpl) {
        if ((sel & ~3) == 0) {
            throw c.fault(Vec.GP, 0);
        }
        long d = read(c, sel, Vec.GP);
        if ((sel & 3) != cpl || !codeData(d) || code(d) || (d & (1L << 41)) == 0 || dpl(d) != cpl) {
            throw c.fault(Vec.GP, sel & 0xfffc);
        }
        if (!present(d)) {
            throw c.fault(Vec.SS, sel & 0xfffc);
        }
        return d;
    }

    /** Loads SS from a descriptor {@link #checkSs} accepted. */
    public static void loadCheckedSs(Cpu c, int sel, long d) {
        setAccessed(c, sel, d);
        loadCache(c, Cpu.SS, sel, d);
    }

    /**
     * Checks a code-segment descriptor for a far JMP/CALL (same privilege; call gates are not supported) and
     * returns it; #GP(sel) or #NP(sel) otherwise.
     */
    public static long checkFarCode(Cpu c, int sel) {
        if ((sel & ~3) == 0) {
            throw c.fault(Vec.GP, 0);
        }
        long d = read(c, sel, Vec.GP);
        if (!codeData(d) || !code(d)) {
            throw c.fault(Vec.GP, sel & 0xfffc);
        }
        boolean conforming = (d & (1L << 42)) != 0;
        if (conforming ? dpl(d) > c.cpl : ((sel & 3) > c.cpl || dpl(d) != c.cpl)) {
            throw c.fault(Vec.GP, sel & 0xfffc);
        }
        if (c.longMode && (d & (1L << 53)) != 0 && (d & (1L << 54)) != 0) {
            throw c.fault(Vec.GP, sel & 0xfffc);
        }
        if (!present(d)) {
            throw c.fault(Vec.NP, sel & 0xfffc);
        }
        return d;
    }

    /** Loads CS from a checked descriptor at privilege {@code cpl} (RPL of the selector becomes CPL). */
    public static void loadCs(Cpu c, int sel, long d, int cpl) {
        setAccessed(c, sel, d);
        Modes.setCpl(c, cpl);
        Modes.setSeg(c, Cpu.CS, (sel & ~3) | cpl, base(d), limit(d), ar(d) | 1);
    }

    /** Checks a segment limit for a new EIP in legacy modes (#GP(0)). */
    public static void checkIp(Cpu c, long ip) {
        if (!c.code64 && Long.compareUnsigned(ip, c.segLimit[Cpu.CS]) > 0) {
            throw c.fault(Vec.GP, 0);
        }
    }

    /** After a privilege drop (RET/IRET to an outer level): data segments the new CPL may not use become null. */
    public static void nullifyForCpl(Cpu c) {
        for (int s : DATA_SEGS) {
            int ar = c.segAr[s];
            boolean conformingCode = (ar & 0x18) == 0x18 && (ar & 4) != 0;
            int dpl = (ar >> 5) & 3;
            if ((ar & Modes.AR_UNUSABLE) == 0 && (ar & 0x10) != 0 && !conformingCode && dpl < c.cpl) {
                Modes.setSeg(c, s, 0, c.segBase[s], c.segLimit[s], ar | Modes.AR_UNUSABLE);
            }
        }
    }
}
