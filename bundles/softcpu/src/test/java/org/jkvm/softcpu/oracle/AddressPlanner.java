package org.jkvm.softcpu.oracle;

import java.util.SplittableRandom;

/**
 * Chooses how a memory operand reaches a given linear address, and sets the address registers accordingly: every
 * ModRM/SIB form (base, base+disp8/32, base+index*scale+disp, index*scale+disp32 without base, absolute disp32,
 * RIP-relative), optional SIB bytes where none is needed, 32-bit address arithmetic under a 67 prefix (register
 * upper halves then random, sums wrapping at 4 GiB), a GS override (the address then counts from
 * {@link Layout#GS_BASE}), ignored CS/DS/ES/SS overrides, the same register as base and index, and base or index
 * registers whose values wrap around 2^64.
 */
final class AddressPlanner {
    private static final int[] NOISE = {0x26, 0x2E, 0x36, 0x3E};

    private final CaseBuilder b;
    /** Added to RSP's value when RSP is a base or index (POP m computes its address after incrementing RSP). */
    long rspBias;

    AddressPlanner(CaseBuilder b) {
        this.b = b;
    }

    Operand.Mem plan(long va, boolean rex) {
        return plan(va, rex, false);
    }

    Operand.Mem plan(long va, boolean rex, boolean noRip) {
        SplittableRandom r = b.rnd;
        boolean addr32 = r.nextInt(10) == 0;
        boolean gs = r.nextInt(12) == 0;
        int noise = !gs && r.nextInt(16) == 0 ? NOISE[r.nextInt(NOISE.length)] : 0;
        long ea = gs ? va - Layout.GS_BASE : va;
        int form = r.nextInt(100);
        if (form < 12 && !noRip) {
            return new Operand.Mem(Operand.RIP, Operand.NONE, 1, ea, 4, false, addr32, gs, noise);
        }
        if (form < 17) {
            return new Operand.Mem(Operand.NONE, Operand.NONE, 1, ea, 4, true, addr32, gs, noise);
        }
        if (form < 30) {
            Operand.Mem m = compensated(ea, rex, addr32, gs, noise);
            if (m != null) {
                return m;
            }
        }
        int base = form < 90 ? freeReg(false, rex) : Operand.NONE;
        int index = form >= 55 ? freeReg(true, rex) : Operand.NONE;
        if (base == Operand.NONE && index == Operand.NONE) {
            return new Operand.Mem(Operand.NONE, Operand.NONE, 1, ea, 4, true, addr32, gs, noise);
        }
        if (base != Operand.NONE && index != Operand.NONE && r.nextInt(8) == 0 && base != Operand.RSP) {
            index = base;
        }
        int scale = index == Operand.NONE ? 1 : 1 << r.nextInt(4);
        int dispBytes = base == Operand.NONE ? 4 : new int[] {0, 0, 1, 1, 4}[r.nextInt(5)];
        if (dispBytes == 0 && base != Operand.NONE && (base & 7) == 5) {
            dispBytes = 1;
        }
        long disp = disp(r, dispBytes);
        boolean sib = index == Operand.NONE && base != Operand.NONE && r.nextInt(7) == 0;
        return solve(new Operand.Mem(base, index, scale, disp, dispBytes, sib, addr32, gs, noise), ea);
    }

    /**
     * Sets (and pins) the address registers of {@code m} so that its effective address is {@code ea}, adjusting
     * the displacement where the arithmetic needs it (divisibility by the scale, or by 2 for [r+r]).
     */
    private Operand.Mem solve(Operand.Mem m, long ea) {
        SplittableRandom r = b.rnd;
        int base = m.base();
        int index = m.index();
        int scale = m.scale();
        long disp = m.disp();
        int dispBytes = m.dispBytes();
        boolean addr32 = m.addr32();
        long wrap = addr32 ? 0xFFFFFFFFL : -1L;
        if (base == Operand.NONE) {
            int k = Integer.numberOfTrailingZeros(scale);
            disp += Math.floorMod(ea - disp, scale);
            if (disp != (int) disp) {
                disp -= scale;
            }
            long x = (ea - disp) & wrap;
            long top = k == 0 ? 0 : r.nextLong() >>> (64 - k) << ((addr32 ? 32 : 64) - k);
            setAddr(index, ((x >>> k) | top) & wrap, addr32);
        } else if (index == base) {
            long x = (ea - disp) & wrap;
            if (scale == 1 && (x & 1) != 0) {
                dispBytes = Math.max(dispBytes, 1);
                disp = fits(disp - 1, dispBytes) ? disp - 1 : disp + 1;
                x = (ea - disp) & wrap;
            }
            long v = scale == 1 ? (x >>> 1) | (r.nextBoolean() ? (wrap >>> 1) + 1 : 0) : x * inverse(1 + scale);
            setAddr(base, v & wrap, addr32);
        } else {
            long iv = Operand.NONE == index ? 0 : indexValue(r, addr32);
            if (index != Operand.NONE) {
                setAddr(index, iv, addr32);
            }
            setAddr(base, (ea - disp - iv * scale) & wrap, addr32);
        }
        return new Operand.Mem(base, index, scale, disp, dispBytes, m.forceSib(), addr32, m.gs(), m.segNoise());
    }

    /** A register already holding a value (a pointer, RSP) as base, with a displacement making up the rest. */
    private Operand.Mem compensated(long ea, boolean rex, boolean addr32, boolean gs, int noise) {
        int start = b.rnd.nextInt(16);
        for (int i = 0; i < 16; i++) {
            int num = (start + i) & 15;
            if (b.free(num) || num >= 8 && !rex || !b.addressable(num)) {
                continue;
            }
            long v = b.regs[num] + (num == Operand.RSP ? rspBias : 0);
            long disp = addr32 ? (int) (ea - v) : ea - v;
            if (disp != (int) disp) {
                continue;
            }
            int dispBytes = disp == (byte) disp ? 1 : 4;
            b.pin(num);
            return new Operand.Mem(num, Operand.NONE, 1, disp, dispBytes, false, addr32, gs, noise);
        }
        return null;
    }

    /** A free register (or, sometimes, one an operand claimed) for an address, or {@link Operand#NONE}. */
    private int freeReg(boolean index, boolean rex) {
        for (int tries = 0; tries < 200; tries++) {
            int num = b.rnd.nextInt(rex ? 16 : 8);
            if (index && num == Operand.RSP || !b.claimable(num) || !b.addressable(num)) {
                continue;
            }
            if (b.free(num) || b.rnd.nextInt(3) == 0) {
                return num;
            }
        }
        return Operand.NONE;
    }

    private void setAddr(int num, long low, boolean addr32) {
        long v = addr32 ? b.rnd.nextLong() & 0xFFFFFFFF00000000L | low & 0xFFFFFFFFL : low;
        b.pin(num, v - (num == Operand.RSP ? rspBias : 0));
    }

    private static long disp(SplittableRandom r, int bytes) {
        return switch (bytes) {
            case 0 -> 0;
            case 1 -> r.nextInt(256) - 128;
            default -> switch (r.nextInt(5)) {
                case 0, 1 -> r.nextInt(8192) - 4096;
                case 2 -> r.nextBoolean() ? Integer.MAX_VALUE - r.nextInt(4) : Integer.MIN_VALUE + r.nextInt(4);
                default -> r.nextInt();
            };
        };
    }

    private static boolean fits(long disp, int bytes) {
        return bytes == 1 ? disp == (byte) disp : disp == (int) disp;
    }

    private static long indexValue(SplittableRandom r, boolean addr32) {
        return switch (r.nextInt(5)) {
            case 0, 1 -> r.nextInt(129) - 64;
            case 2 -> r.nextInt();
            default -> addr32 ? r.nextLong() & 0xFFFFFFFFL : r.nextLong();
        };
    }

    /** The inverse of odd {@code m} modulo 2^64 (Newton's iteration; each step doubles the correct bits). */
    private static long inverse(long m) {
        long inv = m;
        for (int i = 0; i < 6; i++) {
            inv *= 2 - m * inv;
        }
        return inv;
    }
}
