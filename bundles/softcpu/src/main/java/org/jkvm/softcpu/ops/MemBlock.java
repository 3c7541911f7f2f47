package org.jkvm.softcpu.ops;

import org.jkvm.softcpu.cpu.Cpu;

/**
 * Reads and writes of multi-byte state images (FSAVE, FXSAVE, XSAVE) at a linear address: a write checks the
 * first and the last byte for writability before it changes anything, so a #PF leaves memory untouched (an image
 * of at most 4 KiB touches at most two pages). Linear addresses wrap at 4 GiB outside 64-bit mode. Stateless.
 */
public final class MemBlock {
    private MemBlock() {
    }

    private static long at(Cpu c, long lin, int off) {
        return c.code64 ? lin + off : (lin + off) & 0xffffffffL;
    }

    /** Reads {@code n} bytes at linear {@code lin} into {@code b[0..n)}. */
    public static void read(Cpu c, long lin, byte[] b, int n) {
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            long v = c.read(at(c, lin, i), 3);
            for (int k = 0; k < 8; k++) {
                b[i + k] = (byte) (v >>> (8 * k));
            }
        }
        for (; i < n; i++) {
            b[i] = (byte) c.read(at(c, lin, i), 0);
        }
    }

    /** Writes {@code b[from..n)} at linear {@code lin + from}, after checking the whole range [0, n) is writable. */
    public static void write(Cpu c, long lin, byte[] b, int from, int n) {
        c.probeWrite(lin, 0);
        c.probeWrite(at(c, lin, n - 1), 0);
        int i = from;
        for (; i + 8 <= n; i += 8) {
            long v = 0;
            for (int k = 7; k >= 0; k--) {
                v = v << 8 | (b[i + k] & 0xff);
            }
            c.write(at(c, lin, i), 3, v);
        }
        for (; i < n; i++) {
            c.write(at(c, lin, i), 0, b[i]);
        }
    }
}
