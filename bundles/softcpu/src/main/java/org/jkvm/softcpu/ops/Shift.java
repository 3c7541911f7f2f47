package org.jkvm.softcpu.ops;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.FlagState;
import org.jkvm.softcpu.decode.Dec;

/**
 * Group 2 shifts and rotates (ROL ROR RCL RCR SHL SHR SAL SAR by 1, CL or an immediate) and SHLD/SHRD. Flags are
 * computed eagerly. Undefined flags (documented choice): OF for counts above 1 uses the count-1 formula; AF is
 * cleared by shifts; a masked count of 0 changes no flag (a 32-bit register operand is still zero-extended).
 */
public final class Shift extends EOp {
    public static final int ROL = 0;
    public static final int ROR = 1;
    public static final int RCL = 2;
    public static final int RCR = 3;
    public static final int SHL = 4;
    public static final int SHR = 5;
    public static final int SAL = 6;
    public static final int SAR = 7;

    private final int kind;
    /** The count, or -1 for CL. */
    private final int count;

    public Shift(Dec d, int s, int kind, int count) {
        super(d, s);
        this.kind = kind;
        this.count = count;
    }

    /** ROL .. SAR (the constants above). */
    public int kind() {
        return kind;
    }

    /** The count as encoded (before masking), or -1 for CL. */
    public int count() {
        return count;
    }

    @Override
    public boolean faultFree() {
        return isReg;
    }

    @Override
    public void exec(Cpu c) {
        int n = (count < 0 ? (int) c.r[1] : count) & (s == 3 ? 63 : 31);
        if (n == 0) {
            zeroCount(c, this);
            return;
        }
        long a = loadRmw(c);
        int bits = 8 << s;
        long m = Cpu.MASK[s];
        long res;
        long fl = kind <= RCR ? c.arith() : 0;   // rotates keep the other flags; shifts set them all
        boolean cf;
        boolean of;
        switch (kind) {
            case ROL: {
                int k = n % bits;
                res = k == 0 ? a : ((a << k) | (a >>> (bits - k))) & m;
                cf = (res & 1) != 0;
                of = (((res >>> (bits - 1)) & 1) != 0) ^ cf;
                storeRmw(c, res);
                c.setArith((fl & ~(FlagState.CF | FlagState.OF)) | (cf ? FlagState.CF : 0) | (of ? FlagState.OF : 0));
                return;
            }
            case ROR: {
                int k = n % bits;
                res = k == 0 ? a : ((a >>> k) | (a << (bits - k))) & m;
                cf = ((res >>> (bits - 1)) & 1) != 0;
                of = cf ^ (((res >>> (bits - 2)) & 1) != 0);
                storeRmw(c, res);
                c.setArith((fl & ~(FlagState.CF | FlagState.OF)) | (cf ? FlagState.CF : 0) | (of ? FlagState.OF : 0));
                return;
            }
            case RCL: case RCR: {
                int k = s < 2 ? n % (bits + 1) : n;
                boolean carry = (fl & FlagState.CF) != 0;
                res = a;
                for (int i = 0; i < k; i++) {
                    if (kind == RCL) {
                        boolean out = ((res >>> (bits - 1)) & 1) != 0;
                        res = ((res << 1) | (carry ? 1 : 0)) & m;
                        carry = out;
                    } else {
                        boolean out = (res & 1) != 0;
                        res = (res >>> 1) | (carry ? 1L << (bits - 1) : 0);
                        carry = out;
                    }
                }
                of = kind == RCL ? (((res >>> (bits - 1)) & 1) != 0) ^ carry
                        : (((res >>> (bits - 1)) ^ (res >>> (bits - 2))) & 1) != 0;
                storeRmw(c, res);
                c.setArith((fl & ~(FlagState.CF | FlagState.OF)) | (carry ? FlagState.CF : 0)
                        | (of ? FlagState.OF : 0));
                return;
            }
            case SHL: case SAL:
                res = n >= 64 ? 0 : (a << n) & m;
                cf = n <= bits && ((a >>> (bits - n)) & 1) != 0;
                of = (((res >>> (bits - 1)) & 1) != 0) ^ cf;
                break;
            case SHR:
                res = n >= 64 ? 0 : a >>> n;
                cf = ((a >>> (n - 1)) & 1) != 0 && n <= bits;
                of = ((a >>> (bits - 1)) & 1) != 0;
                break;
            default: {
                long sa = (a << (64 - bits)) >> (64 - bits);
                res = (sa >> Math.min(n, 63)) & m;
                cf = ((sa >> Math.min(n - 1, 63)) & 1) != 0;
                of = false;
                break;
            }
        }
        storeRmw(c, res);
        c.setArith(FlagState.szp(res, s) | (cf ? FlagState.CF : 0) | (of ? FlagState.OF : 0));
    }

    /**
     * A masked count of 0 changes no bit and no flag, but the operand is still written: a 32-bit register has its
     * upper half cleared as by any 32-bit write (the host CPU does so), and a memory operand must be writable.
     */
    static void zeroCount(Cpu c, EOp e) {
        if (!e.isReg) {
            e.lin(c, 1 << e.s, true);
        } else if (e.s == 2) {
            c.setReg(e.rmReg, 2, e.rmSh, c.reg(e.rmReg, 2, e.rmSh));
        }
    }

    /** SHLD / SHRD E, G, count (imm or CL). */
    public static final class Double extends EOp {
        private final boolean left;
        private final int count;

        public Double(Dec d, int s, boolean left, int count) {
            super(d, s);
            this.left = left;
            this.count = count;
        }

        @Override
        public boolean faultFree() {
            return isReg;
        }

        @Override
        public void exec(Cpu c) {
            int n = (count < 0 ? (int) c.r[1] : count) & (s == 3 ? 63 : 31);
            if (n == 0) {
                zeroCount(c, this);
                return;
            }
            long a = loadRmw(c);
            long b = g(c);
            int bits = 8 << s;
            long m = Cpu.MASK[s];
            long res;
            boolean cf;
            if (s == 1) {
                // 16-bit counts above 16 are undefined: shift the pattern dest:src:dest (as CPUs do).
                long t = (a << 32) | (b << 16) | a;
                if (left) {
                    res = (t >>> (32 - n)) & m;
                    cf = ((t >>> (48 - n)) & 1) != 0;
                } else {
                    res = (t >>> n) & m;
                    cf = ((t >>> (n - 1)) & 1) != 0;
                }
            } else if (left) {
                res = ((a << n) | (b >>> (bits - n))) & m;
                cf = ((a >>> (bits - n)) & 1) != 0;
            } else {
                res = ((a >>> n) | (b << (bits - n))) & m;
                cf = ((a >>> (n - 1)) & 1) != 0;
            }
            boolean of = (((a ^ res) >>> (bits - 1)) & 1) != 0;
            storeRmw(c, res);
            c.setArith(FlagState.szp(res, s) | (cf ? FlagState.CF : 0) | (of ? FlagState.OF : 0));
        }
    }
}
