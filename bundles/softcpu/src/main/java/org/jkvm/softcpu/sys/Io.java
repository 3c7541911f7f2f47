package org.jkvm.softcpu.sys;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.FlagState;
import org.jkvm.softcpu.cpu.Vec;

/**
 * Port I/O through {@link org.jkvm.hypervisor.VmOps}, with the protected-mode permission check (Intel SDM vol. 1,
 * 19.5): CPL above IOPL (or virtual-8086 mode) needs every port's bit clear in the TSS I/O permission bitmap.
 */
public final class Io {
    private Io() {
    }

    /** Raises #GP(0) unless the current privilege may access {@code n} ports from {@code port}. */
    public static void check(Cpu c, int port, int n) {
        if (!c.protectedMode) {
            return;
        }
        int iopl = (int) ((c.flags & FlagState.IOPL) >>> 12);
        if (!c.vm86 && c.cpl <= iopl) {
            return;
        }
        // Only a 32/64-bit available or busy TSS has a bitmap.
        int type = c.segAr[Cpu.TR] & 0xf;
        if ((c.segAr[Cpu.TR] & (1 << 16)) != 0 || (type != 9 && type != 11) || c.segLimit[Cpu.TR] < 103) {
            throw c.fault(Vec.GP, 0);
        }
        long mapBase = c.mmu.readSys(c.segBase[Cpu.TR] + 102, 1);
        long at = mapBase + (port >>> 3);
        if (at + 1 > c.segLimit[Cpu.TR]) {
            throw c.fault(Vec.GP, 0);
        }
        long bits = c.mmu.readSys(c.segBase[Cpu.TR] + at, 1);
        long want = ((1L << n) - 1) << (port & 7);
        if ((bits & want) != 0) {
            throw c.fault(Vec.GP, 0);
        }
    }

    /** IN of {@code 1 << s} bytes (s = 0, 1, 2) from {@code port}. */
    public static long in(Cpu c, int port, int s) {
        byte[] b = c.io[s];
        java.util.Arrays.fill(b, (byte) 0xff);
        c.ops.pioRead(port & 0xffff, b);
        long v = 0;
        for (int k = b.length - 1; k >= 0; k--) {
            v = v << 8 | (b[k] & 0xff);
        }
        return v;
    }

    /** OUT of the low {@code 1 << s} bytes of {@code v} to {@code port}. */
    public static void out(Cpu c, int port, int s, long v) {
        byte[] b = c.io[s];
        for (int k = 0; k < b.length; k++) {
            b[k] = (byte) (v >>> (8 * k));
        }
        c.ops.pioWrite(port & 0xffff, b);
    }
}
