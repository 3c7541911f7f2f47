package org.jkvm.softcpu.ops.sse;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.fpu.Fpu;

/**
 * Shuffles and lane moves with an immediate (Intel SDM vol. 2): PSHUFW/PSHUFD/PSHUFHW/PSHUFLW, SHUFPS/SHUFPD,
 * UNPCKLPS/UNPCKHPS/UNPCKLPD/UNPCKHPD, PINSRW/PEXTRW, the shifts by an immediate (0F 71-73: PSRLW/D/Q, PSRAW/D,
 * PSLLW/D/Q, PSRLDQ, PSLLDQ), and MASKMOVQ/MASKMOVDQU.
 */
public final class SseShuf extends SseOp {
    public static final int PSHUFW = 0;
    public static final int PSHUFD = 1;
    public static final int PSHUFHW = 2;
    public static final int PSHUFLW = 3;
    public static final int SHUFPS = 4;
    public static final int SHUFPD = 5;
    public static final int UNPCKLPS = 6;
    public static final int UNPCKHPS = 7;
    public static final int UNPCKLPD = 8;
    public static final int UNPCKHPD = 9;
    public static final int PINSRW = 10;
    public static final int PEXTRW = 11;
    /** Shift by immediate: kind = SHIFT + (0x71..0x73 - 0x71) * 8 + the ModRM reg field. */
    public static final int SHIFT = 16;
    public static final int MASKMOV = 48;

    private final int kind;
    private final boolean xmm;
    private final int imm;
    private final int dataSeg;
    private final long amaskDi;

    public SseShuf(Dec d, int kind, boolean xmm, int imm) {
        super(d);
        this.kind = kind;
        this.xmm = xmm;
        this.imm = imm;
        this.dataSeg = d.dataSeg();
        this.amaskDi = d.asz == 1 ? 0xffffL : d.asz == 2 ? 0xffffffffL : -1L;
    }

    @Override
    public void exec(Cpu c) {
        Fpu f = xmm ? sse(c) : mmx(c);
        if (kind >= SHIFT && kind < MASKMOV) {
            shiftImm(f);
            return;
        }
        switch (kind) {
            case PEXTRW: {
                long v = xmm ? f.xmm[2 * xm + ((imm & 7) >> 2)] : f.st[xm & 7];
                c.setReg(xr, 2, 0, v >>> (16 * (imm & 3)) & 0xffff);
                if (!xmm) {
                    f.mmxEnter();
                }
                return;
            }
            case PINSRW: {
                long w = (isReg ? c.r[xm] : load(c, 1)) & 0xffff;
                int sh = 16 * (imm & 3);
                if (xmm) {
                    int i = 2 * xr + ((imm & 7) >> 2);
                    f.xmm[i] = f.xmm[i] & ~(0xffffL << sh) | w << sh;
                } else {
                    long v = f.st[xr & 7];
                    f.mmxEnter();
                    f.setMmx(xr & 7, v & ~(0xffffL << sh) | w << sh);
                }
                return;
            }
            case MASKMOV: maskmov(c, f); return;
            case PSHUFW: {
                long s = srcM(c);
                f.mmxEnter();
                f.setMmx(xr & 7, words(s, imm));
                return;
            }
            default: xmmShuffle(c, f);
        }
    }

    /** Four words picked from the 64-bit {@code s} by the 2-bit selectors of {@code sel}. */
    private static long words(long s, int sel) {
        long r = 0;
        for (int i = 0; i < 4; i++) {
            r |= (s >>> (16 * (sel >> (2 * i) & 3)) & 0xffff) << (16 * i);
        }
        return r;
    }

    private static long dword(long lo, long hi, int i) {
        return (i < 2 ? lo : hi) >>> (32 * (i & 1)) & 0xffffffffL;
    }

    private void xmmShuffle(Cpu c, Fpu f) {
        long slo = srcX(c, true);
        long shi = f.scratch[1];
        int r = 2 * xr;
        long dlo = f.xmm[r];
        long dhi = f.xmm[r + 1];
        long lo;
        long hi;
        switch (kind) {
            case PSHUFD:
                lo = dword(slo, shi, imm & 3) | dword(slo, shi, imm >> 2 & 3) << 32;
                hi = dword(slo, shi, imm >> 4 & 3) | dword(slo, shi, imm >> 6 & 3) << 32;
                break;
            case PSHUFHW: lo = slo; hi = words(shi, imm); break;
            case PSHUFLW: lo = words(slo, imm); hi = shi; break;
            case SHUFPS:
                lo = dword(dlo, dhi, imm & 3) | dword(dlo, dhi, imm >> 2 & 3) << 32;
                hi = dword(slo, shi, imm >> 4 & 3) | dword(slo, shi, imm >> 6 & 3) << 32;
                break;
            case SHUFPD:
                lo = (imm & 1) == 0 ? dlo : dhi;
                hi = (imm & 2) == 0 ? slo : shi;
                break;
            case UNPCKLPS:
                lo = dlo & 0xffffffffL | slo << 32;
                hi = dlo >>> 32 | slo & 0xffffffff00000000L;
                break;
            case UNPCKHPS:
                lo = dhi & 0xffffffffL | shi << 32;
                hi = dhi >>> 32 | shi & 0xffffffff00000000L;
                break;
            case UNPCKLPD: lo = dlo; hi = slo; break;
            default: lo = dhi; hi = shi; break;
        }
        f.xmm[r] = lo;
        f.xmm[r + 1] = hi;
    }

    /** 0F 71 /2 /4 /6 (words), 72 (dwords), 73 /2 /6 (quadwords), 73 /3 /7 (whole register by bytes, 66 only). */
    private void shiftImm(Fpu f) {
        int group = (kind - SHIFT) >> 3;
        int op = (kind - SHIFT) & 7;
        int bits = 16 << group;
        if (xmm) {
            int m = 2 * xm;
            long lo = f.xmm[m];
            long hi = f.xmm[m + 1];
            if (group == 2 && (op == 3 || op == 7)) {
                int n = Math.min(imm, 16) * 8;
                if (op == 3) {
                    long nlo = n >= 128 ? 0 : n >= 64 ? hi >>> (n - 64) : n == 0 ? lo : lo >>> n | hi << (64 - n);
                    hi = n >= 64 ? 0 : hi >>> n;
                    lo = nlo;
                } else {
                    long nhi = n >= 128 ? 0 : n >= 64 ? lo << (n - 64) : n == 0 ? hi : hi << n | lo >>> (64 - n);
                    lo = n >= 64 ? 0 : lo << n;
                    hi = nhi;
                }
            } else {
                int k = op == 6 ? 0 : op == 2 ? 1 : 2;
                lo = Lanes.shift(lo, imm, bits, k);
                hi = Lanes.shift(hi, imm, bits, k);
            }
            f.xmm[m] = lo;
            f.xmm[m + 1] = hi;
            return;
        }
        int k = op == 6 ? 0 : op == 2 ? 1 : 2;
        long v = Lanes.shift(f.st[xm & 7], imm, bits, k);
        f.mmxEnter();
        f.setMmx(xm & 7, v);
    }

    /** MASKMOVQ/MASKMOVDQU: the bytes of the first register whose mask byte has its top bit set go to DS:rDI. */
    private void maskmov(Cpu c, Fpu f) {
        if (!xmm) {
            f.mmxEnter();   // before the stores: the host's MASKMOVQ is in MMX state even when a store faults
        }
        int n = xmm ? 16 : 8;
        long ea = c.r[7] & amaskDi;
        long base = c.addr(dataSeg, ea, n, true);
        boolean any = false;
        for (int i = 0; i < n; i++) {
            long mask = xmm ? f.xmm[2 * xm + (i >> 3)] : f.st[xm & 7];
            any |= (mask >>> (8 * (i & 7)) & 0x80) != 0;
        }
        if (!any) {
            // This host checks the first byte even when the mask selects none (the SDM allows either).
            c.probeWrite(c.code64 ? base : base & 0xffffffffL, 0);
            return;
        }
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < n; i++) {
                long mask = xmm ? f.xmm[2 * xm + (i >> 3)] : f.st[xm & 7];
                long data = xmm ? f.xmm[2 * xr + (i >> 3)] : f.st[xr & 7];
                int sh = 8 * (i & 7);
                if ((mask >>> sh & 0x80) != 0) {
                    long l = c.code64 ? base + i : (base + i) & 0xffffffffL;
                    if (pass == 0) {
                        // The host stores dwords: a selected byte's dword (from rDI) is checked from its start.
                        long d = c.code64 ? base + (i & ~3) : (base + (i & ~3)) & 0xffffffffL;
                        c.probeWrite(d, 0);
                        c.probeWrite(l, 0);
                    } else {
                        c.write(l, 0, data >>> sh);
                    }
                }
            }
        }
    }
}
