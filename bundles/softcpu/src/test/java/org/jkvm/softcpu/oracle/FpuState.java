package org.jkvm.softcpu.oracle;

import java.util.SplittableRandom;

/**
 * An x87/SSE state a generator builds for a case, written as the FXSAVE64 image both sides load: control and
 * status words, TOP, which physical registers hold values, their contents, MXCSR and XMM0-15. Status word bits ES
 * and B are derived from the flags and masks, as FXRSTOR expects.
 */
final class FpuState {
    int fcw = 0x37f;
    /** Condition codes and exception flags (without TOP, ES, B). */
    int fsw;
    int top;
    /** Bit i: physical register i is valid. */
    int tags;
    final long[] mant = new long[8];
    final int[] se = new int[8];
    int mxcsr = 0x1f80;
    final long[] xmm = new long[32];

    /** A random state: control words mostly masked, some registers empty, values from {@link FpValues}. */
    static FpuState random(SplittableRandom r) {
        FpuState s = new FpuState();
        int masks = r.nextInt(6) != 0 ? 0x3f : r.nextInt(64);
        int pc = r.nextInt(8) == 0 ? r.nextInt(4) : r.nextInt(3) == 0 ? 2 : 3;
        s.fcw = masks | 0x40 | pc << 8 | r.nextInt(4) << 10 | (r.nextInt(8) == 0 ? 1 << 12 : 0);
        int flags = r.nextInt(3) == 0 ? r.nextInt(64) : 0;
        if (r.nextInt(10) != 0) {
            flags &= masks;
        }
        s.fsw = flags | (r.nextInt(16) & 7) << 8 | (r.nextBoolean() ? 1 << 14 : 0);
        s.top = r.nextInt(8);
        for (int p = 0; p < 8; p++) {
            if (r.nextInt(10) < 7) {
                s.tags |= 1 << p;
            }
            long[] v = FpValues.f80(r, r.nextInt(3) != 0);
            s.se[p] = (int) v[0];
            s.mant[p] = v[1];
        }
        for (int i = 0; i < 2; i++) {
            if (r.nextInt(10) != 0) {
                s.tags |= 1 << ((s.top + i) & 7);
            }
        }
        int xmasks = r.nextInt(6) != 0 ? 0x3f : r.nextInt(64);
        int xflags = r.nextInt(3) == 0 ? r.nextInt(64) : 0;
        s.mxcsr = xflags | (r.nextInt(4) == 0 ? 0x40 : 0) | xmasks << 7 | r.nextInt(4) << 13
                | (r.nextInt(4) == 0 ? 0x8000 : 0);
        if (r.nextInt(3) != 0) {
            s.mxcsr &= ~(3 << 13);
        }
        for (int i = 0; i < 16; i++) {
            s.randomXmm(r, i);
        }
        return s;
    }

    /** Fills XMM register {@code i} with four singles, two doubles or integers. */
    void randomXmm(SplittableRandom r, int i) {
        for (int h = 0; h < 2; h++) {
            long v;
            switch (r.nextInt(4)) {
                case 0: v = FpValues.f64(r); break;
                case 1: v = Values.of(r, 64); break;
                default: v = FpValues.f32(r) & 0xffffffffL | (long) FpValues.f32(r) << 32; break;
            }
            xmm[2 * i + h] = v;
        }
    }

    /** The FXSAVE64 image. */
    byte[] image() {
        byte[] b = new byte[FpuCase.BYTES];
        int status = fsw & ~0xb880 | top << 11;
        if ((fsw & ~fcw & 0x3f) != 0) {
            status |= 0x8080;
        }
        put(b, 0, fcw, 2);
        put(b, 2, status, 2);
        b[4] = (byte) tags;
        put(b, 24, mxcsr, 4);
        for (int i = 0; i < 8; i++) {
            int p = (top + i) & 7;
            put(b, 32 + 16 * i, mant[p], 8);
            put(b, 40 + 16 * i, se[p], 2);
        }
        for (int i = 0; i < 16; i++) {
            put(b, 160 + 16 * i, xmm[2 * i], 8);
            put(b, 168 + 16 * i, xmm[2 * i + 1], 8);
        }
        return b;
    }

    private static void put(byte[] b, int off, long v, int n) {
        for (int i = 0; i < n; i++) {
            b[off + i] = (byte) (v >>> (8 * i));
        }
    }
}
