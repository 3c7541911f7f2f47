package org.jkvm.softcpu.ops;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.FlagState;
import org.jkvm.softcpu.cpu.Vec;
import org.jkvm.softcpu.decode.Dec;

/** CMPXCHG, CMPXCHG8B/16B and XADD. */
public final class Atomic {
    private Atomic() {
    }

    /** CMPXCHG E, G: compare rAX with E; equal: E = G; else rAX = E (the destination is always written back). */
    public static final class Cmpxchg extends EOp {
        public Cmpxchg(Dec d, int s) {
            super(d, s);
        }

        @Override
        public void exec(Cpu c) {
            long dst = loadRmw(c);
            long acc = c.r[0] & Cpu.MASK[s];
            Alu.compute(c, Alu.CMP, s, acc, dst);
            if (acc == dst) {
                storeRmw(c, g(c));
            } else {
                storeRmw(c, dst);
                c.setReg(0, s, 0, dst);
            }
        }
    }

    /** XADD E, G: G = E, then E = E + G (so XADD r, r with one register leaves the sum). */
    public static final class Xadd extends EOp {
        public Xadd(Dec d, int s) {
            super(d, s);
        }

        @Override
        public void exec(Cpu c) {
            long dst = loadRmw(c);
            long src = g(c);
            long sum = Alu.compute(c, Alu.ADD, s, dst, src);
            // SDM: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP. loadRmw probed the write, so storeRmw cannot fault.
            setG(c, dst);
            storeRmw(c, sum);
        }
    }

    /** CMPXCHG8B m64 / CMPXCHG16B m128 (16-byte alignment required: #GP). */
    public static final class Cmpxchg8b extends EOp {
        private final boolean wide;

        public Cmpxchg8b(Dec d, boolean wide) {
            super(d, 3);
            this.wide = wide;
        }

        @Override
        public void exec(Cpu c) {
            if (isReg) {
                throw c.fault(Vec.UD);
            }
            if (!wide) {
                long l = lin(c, 8, true);
                long v = c.readRmw(l, 3);
                long want = (c.r[2] << 32) | (c.r[0] & 0xffffffffL);
                boolean eq = v == want;
                c.write(l, 3, eq ? (c.r[1] << 32) | (c.r[3] & 0xffffffffL) : v);
                if (!eq) {
                    c.r[0] = v & 0xffffffffL;
                    c.r[2] = v >>> 32;
                }
                setZf(c, eq);
                return;
            }
            long e = ea(c);
            if ((e & 15) != 0) {
                throw c.fault(Vec.GP, 0);
            }
            long l = c.addr(seg, e, 16, true);
            long lo = c.readRmw(l, 3);
            long hi = c.readRmw(l + 8, 3);
            boolean eq = lo == c.r[0] && hi == c.r[2];
            c.write(l, 3, eq ? c.r[3] : lo);
            c.write(l + 8, 3, eq ? c.r[1] : hi);
            if (!eq) {
                c.r[0] = lo;
                c.r[2] = hi;
            }
            setZf(c, eq);
        }

        private static void setZf(Cpu c, boolean z) {
            c.setArith((c.arith() & ~FlagState.ZF) | (z ? FlagState.ZF : 0));
        }
    }

    /** ADCX (CF) / ADOX (OF): G = G + E + flag, only that flag changes. */
    public static final class Adx extends EOp {
        private final boolean overflowFlag;

        public Adx(Dec d, int s, boolean overflowFlag) {
            super(d, s);
            this.overflowFlag = overflowFlag;
        }

        @Override
        public void exec(Cpu c) {
            long b = readE(c);
            long a = g(c);
            long fl = c.arith();
            long bit = overflowFlag ? FlagState.OF : FlagState.CF;
            long in = (fl & bit) != 0 ? 1 : 0;
            long m = Cpu.MASK[s];
            long res = (a + b + in) & m;
            boolean carry = Long.compareUnsigned(res, a) < 0 || (in == 1 && res == a);
            setG(c, res);
            c.setArith((fl & ~bit) | (carry ? bit : 0));
        }
    }
}
