package org.jkvm.softcpu.oracle;

import java.util.List;

/**
 * Compares the x87/SSE state two CPUs left (FXSAVE images): FCW, FSW (without the case's ignored bits), the abridged
 * tag word, MXCSR, ST0-7 (within the case's tolerance) and XMM0-15; see {@link FpuCase}.
 */
final class FpuComparison {
    private FpuComparison() {
    }

    static int u16(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8;
    }

    static long u64(byte[] b, int off) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | (b[off + i] & 0xff);
        }
        return v;
    }

    static int u32(byte[] b, int off) {
        return u16(b, off) | u16(b, off + 2) << 16;
    }

    /** Adds the differences between the images of {@code host} and {@code soft} to {@code d}. */
    static void differences(OracleCase c, OracleResult host, OracleResult soft, List<String> d) {
        if (c.fpu() == null) {
            return;
        }
        byte[] h = host.fpu();
        byte[] s = soft.fpu();
        if (h == null || s == null) {
            d.add("no x87/SSE state from the " + (h == null ? "host" : "software CPU"));
            return;
        }
        field(d, "fcw", u16(h, 0), u16(s, 0), 0xffff);
        field(d, "fsw", u16(h, 2), u16(s, 2), ~c.fpu().fswIgnore() & 0xffff);
        field(d, "ftw", h[4] & 0xff, s[4] & 0xff, 0xff);
        field(d, "mxcsr", u32(h, 24), u32(s, 24), -1);
        for (int i = 0; i < 8; i++) {
            int off = 32 + 16 * i;
            long hm = u64(h, off);
            long sm = u64(s, off);
            int he = u16(h, off + 8);
            int se = u16(s, off + 8);
            if ((hm != sm || he != se) && !close(hm, he, sm, se, c.fpu().ulps())) {
                d.add(String.format("st%d host %04x:%016x soft %04x:%016x", i, he, hm, se, sm));
            }
        }
        for (int i = 0; i < 16; i++) {
            int off = 160 + 16 * i;
            long hl = u64(h, off);
            long hh = u64(h, off + 8);
            long sl = u64(s, off);
            long sh = u64(s, off + 8);
            if (hl != sl || hh != sh) {
                d.add(String.format("xmm%d host %016x%016x soft %016x%016x", i, hh, hl, sh, sl));
            }
        }
    }

    private static void field(List<String> d, String name, long h, long s, long mask) {
        if (((h ^ s) & mask) != 0) {
            d.add(String.format("%s host 0x%x soft 0x%x", name, h & mask, s & mask));
        }
    }

    /**
     * Whether two 80-bit values of the same sign, both normal, are at most {@code ulps} units in the last place
     * apart (their significands as one integer line across exponents).
     */
    static boolean close(long hm, int he, long sm, int se, int ulps) {
        if (ulps == 0 || ((he ^ se) & 0x8000) != 0) {
            return false;
        }
        // Denormals (exponent 0) share the scale of exponent 1.
        int eh = Math.max(1, he & 0x7fff);
        int es = Math.max(1, se & 0x7fff);
        if (eh == 0x7fff || es == 0x7fff || Math.abs(eh - es) > 1) {
            return false;
        }
        // Put both on the scale of the smaller exponent: one unit there is one unit in the last place.
        java.math.BigInteger a = new java.math.BigInteger(Long.toUnsignedString(hm)).shiftLeft(eh - Math.min(eh, es));
        java.math.BigInteger b = new java.math.BigInteger(Long.toUnsignedString(sm)).shiftLeft(es - Math.min(eh, es));
        return a.subtract(b).abs().compareTo(java.math.BigInteger.valueOf(ulps)) <= 0;
    }

    /** The image's x87 and SSE registers, for a report line. */
    static String describe(byte[] img) {
        StringBuilder sb = new StringBuilder(String.format("fcw=%x fsw=%x ftw=%x mxcsr=%x", u16(img, 0), u16(img, 2),
                img[4] & 0xff, u32(img, 24)));
        for (int i = 0; i < 8; i++) {
            sb.append(String.format(" st%d=%04x:%016x", i, u16(img, 40 + 16 * i), u64(img, 32 + 16 * i)));
        }
        for (int i = 0; i < 16; i++) {
            long lo = u64(img, 160 + 16 * i);
            long hi = u64(img, 168 + 16 * i);
            if (lo != 0 || hi != 0) {
                sb.append(String.format(" xmm%d=%016x%016x", i, hi, lo));
            }
        }
        return sb.toString();
    }
}
