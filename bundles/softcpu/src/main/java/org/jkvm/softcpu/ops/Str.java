package org.jkvm.softcpu.ops;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.FlagState;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.mem.Host;
import org.jkvm.softcpu.sys.Io;

/**
 * String instructions MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS with REP/REPE/REPNE. Each iteration completes
 * (registers updated) before the next, so a fault in the middle leaves a restartable state; a long REP stops every
 * {@link #CHUNK} iterations when the vCPU has been asked for attention (kick, dirty-log fetch, interrupt) and
 * resumes at the same instruction. Ends its block.
 */
public final class Str extends Op {
    public static final int MOVS = 0;
    public static final int CMPS = 1;
    public static final int STOS = 2;
    public static final int LODS = 3;
    public static final int SCAS = 4;
    public static final int INS = 5;
    public static final int OUTS = 6;
    /** Iterations between attention checks. */
    static final int CHUNK = 1024;

    private final int kind;
    private final int s;
    private final int rep;
    private final int srcSeg;
    private final long amask;

    public Str(Dec d, int kind, int s) {
        super(d);
        this.kind = kind;
        this.s = s;
        this.rep = d.rep;
        this.srcSeg = d.dataSeg();
        this.amask = d.asz == 1 ? 0xffffL : d.asz == 2 ? 0xffffffffL : -1L;
    }

    @Override
    public boolean endsBlock() {
        return rep != 0;
    }

    private void setA(Cpu c, int reg, long v) {
        c.r[reg] = amask == 0xffffL ? (c.r[reg] & ~0xffffL) | (v & 0xffffL) : v & amask;
    }

    @Override
    public void exec(Cpu c) {
        if (kind >= INS) {
            Io.check(c, (int) c.r[2] & 0xffff, 1 << s);
        }
        if (rep == 0) {
            once(c);
            return;
        }
        int budget = CHUNK;
        boolean bulk = (kind == STOS || kind == MOVS) && flat(c, Cpu.ES) && (kind == STOS || flat(c, srcSeg));
        boolean down = (c.flags & FlagState.DF) != 0;
        while ((c.r[1] & amask) != 0) {
            once(c);
            setA(c, 1, (c.r[1] & amask) - 1);
            if (bulk && (c.r[1] & amask) != 0) {
                budget -= down ? bulkDown(c) : bulkRest(c);
            }
            if ((kind == CMPS || kind == SCAS) && c.zf() != (rep == 0xf3)) {
                return;
            }
            if (--budget <= 0) {
                if (c.attention) {
                    c.rip = rip;
                    return;
                }
                budget = CHUNK;
            }
        }
    }

    /** Whether segment {@code seg} is flat (64-bit mode, or base 0 and a 4 GiB expand-up limit). */
    private boolean flat(Cpu c, int seg) {
        return c.code64 || (c.base[seg] == 0 && c.segLo[seg] == 0 && c.segHi[seg] == 0xffffffffL
                && amask == 0xffffffffL && (c.segRw[seg] & 3) == 3);
    }

    /**
     * REP STOS / MOVS after an element went through the normal path (so the pages are in the TLB, writable and
     * marked dirty): the rest of the elements on the same pages in one go, straight to host memory. Returns the
     * number of elements done (0 when a page is not plain RAM in the TLB, e.g. it holds code, or the copy overlaps
     * forward).
     */
    private int bulkRest(Cpu c) {
        int n = 1 << s;
        long count = c.r[1] & amask;
        long di = c.r[7] & amask;
        long dst = c.base[Cpu.ES] + di;
        long dstHost = host(c, c.tlbWrite, dst);
        if (dstHost < 0) {
            return 0;
        }
        long k = Math.min(count, (4096 - (dst & 0xfff)) >> s);
        long si = c.r[6] & amask;
        long srcHost = 0;
        if (kind == MOVS) {
            long src = c.base[srcSeg] + si;
            srcHost = host(c, c.tlbRead, src);
            if (srcHost < 0) {
                return 0;
            }
            k = Math.min(k, (4096 - (src & 0xfff)) >> s);
            if (srcHost < dstHost && dstHost < srcHost + k * n) {
                return 0;   // a forward overlapping copy repeats a pattern: element by element
            }
        }
        if (k <= 0 || di + k * n - 1 > amask || (kind == MOVS && si + k * n - 1 > amask)) {
            return 0;
        }
        if (kind == STOS) {
            long v = c.r[0];
            if (s == 0) {
                Host.U.setMemory(dstHost, k, (byte) v);
            } else {
                for (long e = 0; e < k; e++) {
                    Host.put(dstHost + e * n, n, v);
                }
            }
        } else {
            Host.U.copyMemory(srcHost, dstHost, k * n);
            setA(c, 6, si + k * n);
        }
        setA(c, 7, di + k * n);
        setA(c, 1, count - k);
        return (int) Math.min(k, CHUNK);
    }

    /**
     * {@link #bulkRest} with RFLAGS.DF set: the elements from RDI (and RSI) down to their page's start in one go.
     * A backward copy to a higher overlapping address (memmove's downward loop, the bzImage moving itself up) is
     * one host copy; a copy to a lower overlapping address repeats a pattern and goes element by element.
     */
    private int bulkDown(Cpu c) {
        int n = 1 << s;
        long count = c.r[1] & amask;
        long di = c.r[7] & amask;
        long dst = c.base[Cpu.ES] + di;
        long dstHost = host(c, c.tlbWrite, dst);
        if (dstHost < 0) {
            return 0;
        }
        long k = Math.min(count, ((dst & 0xfff) >> s) + 1);
        long si = c.r[6] & amask;
        long srcHost = 0;
        if (kind == MOVS) {
            long src = c.base[srcSeg] + si;
            srcHost = host(c, c.tlbRead, src);
            if (srcHost < 0) {
                return 0;
            }
            k = Math.min(k, ((src & 0xfff) >> s) + 1);
            if (dstHost < srcHost && srcHost < dstHost + k * n) {
                return 0;
            }
        }
        long span = (k - 1) * n;
        if (k <= 0 || di < span || (kind == MOVS && si < span)) {
            return 0;   // the addresses would wrap below zero within the run
        }
        if (kind == STOS) {
            for (long e = 0; e < k; e++) {
                Host.put(dstHost - e * n, n, c.r[0]);
            }
        } else {
            Host.U.copyMemory(srcHost - span, dstHost - span, k * n);
            setA(c, 6, si - k * n);
        }
        setA(c, 7, di - k * n);
        setA(c, 1, count - k);
        return (int) Math.min(k, CHUNK);
    }

    /**
     * The host address of the element at linear {@code lin} when its page is in the TLB under {@code tags}
     * ({@code tlbWrite} or {@code tlbRead}) and the element does not cross the page's end, else -1 (the bulk paths'
     * common prologue; host addresses of guest RAM are never negative).
     */
    private long host(Cpu c, long[] tags, long lin) {
        long vpn = lin >>> 12;
        int i = (int) vpn & Cpu.TLB_MASK;
        if (tags[i] != vpn || (lin & 0xfff) > 4096 - (1 << s)) {
            return -1;
        }
        return c.tlbHost[i] + (lin & 0xfff);
    }

    private void once(Cpu c) {
        int n = 1 << s;
        long delta = (c.flags & FlagState.DF) != 0 ? -n : n;
        long si = c.r[6] & amask;
        long di = c.r[7] & amask;
        switch (kind) {
            case MOVS: {
                long v = c.read(c.addr(srcSeg, si, n, false), s);
                c.write(c.addr(Cpu.ES, di, n, true), s, v);
                setA(c, 6, si + delta);
                setA(c, 7, di + delta);
                return;
            }
            case CMPS: {
                long a = c.read(c.addr(srcSeg, si, n, false), s);
                long b = c.read(c.addr(Cpu.ES, di, n, false), s);
                Alu.compute(c, Alu.CMP, s, a, b);
                setA(c, 6, si + delta);
                setA(c, 7, di + delta);
                return;
            }
            case STOS:
                c.write(c.addr(Cpu.ES, di, n, true), s, c.r[0]);
                setA(c, 7, di + delta);
                return;
            case LODS:
                c.setReg(0, s, 0, c.read(c.addr(srcSeg, si, n, false), s));
                setA(c, 6, si + delta);
                return;
            case SCAS: {
                long b = c.read(c.addr(Cpu.ES, di, n, false), s);
                Alu.compute(c, Alu.CMP, s, c.r[0] & Cpu.MASK[s], b);
                setA(c, 7, di + delta);
                return;
            }
            case INS: {
                long l = c.addr(Cpu.ES, di, n, true);
                c.probeWrite(l, s);
                c.write(l, s, Io.in(c, (int) c.r[2], s));
                setA(c, 7, di + delta);
                return;
            }
            default: {
                long v = c.read(c.addr(srcSeg, si, n, false), s);
                Io.out(c, (int) c.r[2], s, v);
                setA(c, 6, si + delta);
            }
        }
    }
}
