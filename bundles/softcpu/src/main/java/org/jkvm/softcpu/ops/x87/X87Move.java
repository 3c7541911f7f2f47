package org.jkvm.softcpu.ops.x87;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.fpu.Fp;
import org.jkvm.softcpu.fpu.FpConv;
import org.jkvm.softcpu.fpu.Fpu;
import org.jkvm.softcpu.fpu.Num;

/**
 * x87 loads and stores (Intel SDM vol. 2, FLD, FILD, FBLD, FLD1..FLDZ, FST/FSTP, FIST/FISTP, FISTTP, FBSTP):
 * 32/64-bit loads convert exactly (IE for a signalling NaN, which arrives quieted; DE for a denormal), 80-bit ones
 * copy the bits; stores to 32/64 bits round by the rounding control, ignoring the precision control.
 */
public final class X87Move {
    /** Formats: m32fp, m64fp, m80fp, m16int, m32int, m64int, m80bcd, and ST(i). */
    public static final int M32 = 0;
    public static final int M64 = 1;
    public static final int M80 = 2;
    public static final int I16 = 3;
    public static final int I32 = 4;
    public static final int I64 = 5;
    public static final int BCD = 6;
    public static final int STI = 7;

    private X87Move() {
    }

    /** FLD m32fp/m64fp/m80fp/ST(i), FILD m16/m32/m64int, FBLD m80bcd. */
    public static final class Load extends X87Op {
        private final int format;

        public Load(Dec d, int opcode, int format) {
            super(d, opcode);
            this.format = format;
        }

        @Override
        public void exec(Cpu c) {
            Fpu f = begin(c);
            Fp fp = f.fp.x87(f.fcw);
            long m;
            switch (format) {
                case M32: m = convert(fp, fp.unpack32((int) readMem(c, 4), fp.a)); break;
                case M64: m = convert(fp, fp.unpack64(readMem(c, 8), fp.a)); break;
                case M80:
                    m = read80(c);
                    fp.outSe = (int) f.scratch[0];
                    break;
                case I16: m = FpConv.fromInt(fp, (short) readMem(c, 2), Fp.F80, 64); break;
                case I32: m = FpConv.fromInt(fp, (int) readMem(c, 4), Fp.F80, 64); break;
                case I64: m = FpConv.fromInt(fp, readMem(c, 8), Fp.F80, 64); break;
                case BCD: {
                    long v = bcd(c);
                    m = FpConv.fromInt(fp, v == Long.MIN_VALUE ? 0 : v, Fp.F80, 64);
                    if (v == Long.MIN_VALUE) {
                        fp.outSe = 0x8000;   // a negative BCD zero loads as -0
                    }
                    break;
                }
                default:
                    if (f.empty(sti)) {
                        // An empty source is a stack underflow (C1 = 0) even when the stack is also full.
                        if (underflow(f, -1)) {
                            f.push(0xffff, 0xc000000000000000L);
                        }
                        return;
                    }
                    int p = f.phys(sti);
                    m = f.st[p];
                    fp.outSe = f.se[p];
            }
            push(f, m);
        }

        private static long convert(Fp fp, Num n) {
            if (n.cls == Num.SNAN) {
                fp.flags |= Fp.IE;
            }
            if (n.denormal) {
                fp.flags |= Fp.DE;
            }
            return fp.pack(n, Fp.F80, 64);
        }

        /**
         * The 18 packed BCD digits and the sign byte as a signed integer (invalid digits weigh as read); a negative
         * zero is {@code Long.MIN_VALUE} (no BCD value comes near it).
         */
        private long bcd(Cpu c) {
            long l = lin(c, 10, false);
            long lo = c.read(l, 3);
            int hi = (int) c.read(at(c, l, 8), 1);
            long v = 0;
            for (int i = 8; i >= 0; i--) {
                int b = i == 8 ? hi & 0xff : (int) (lo >>> (8 * i)) & 0xff;
                v = v * 100 + (b >> 4) * 10 + (b & 15);
            }
            boolean negative = (hi & 0x8000) != 0;
            return negative && v == 0 ? Long.MIN_VALUE : negative ? -v : v;
        }
    }

    /** Pushes the result {@code m} (sign/exponent in {@code fp.outSe}) unless the stack is full or IE/DE unmasked. */
    static void push(Fpu f, long m) {
        Fp fp = f.fp;
        if (!f.empty(7)) {
            X87Op.overflow(f);
            return;
        }
        // An unmasked invalid operand (a signalling NaN) stops the load; an unmasked denormal one does not: the
        // value is pushed and #MF comes at the next waiting instruction.
        if ((fp.flags & fp.unmasked & Fp.IE) != 0) {
            f.raise(fp.flags);
            f.fsw &= ~Fpu.C1;
            return;
        }
        f.push(fp.outSe, m);
        f.fsw &= ~Fpu.C1;
        f.raise(fp.flags);
    }

    /** FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ (D9 E8-EE). */
    public static final class Constant extends X87Op {
        /**
         * The constants to 128 bits ({@code hi}, {@code lo}, exponent), rounded by the rounding control: 1,
         * log2(10), log2(e), pi, log10(2), ln(2), 0.
         */
        private static final long[][] K = {
            {0x8000000000000000L, 0, 0},
            {0xd49a784bcd1b8afeL, 0x492bf6ff4dafdb4cL, 1},
            {0xb8aa3b295c17f0bbL, 0xbe87fed0691d3e88L, 0},
            {0xc90fdaa22168c234L, 0xc4c6628b80dc1cd1L, 1},
            {0x9a209a84fbcff798L, 0x8f8959ac0b7c9178L, -2},
            {0xb17217f7d1cf79abL, 0xc9e3b39803f2f6afL, -1},
        };
        private final int k;

        public Constant(Dec d, int opcode, int k) {
            super(d, opcode);
            this.k = k;
        }

        @Override
        public void exec(Cpu c) {
            Fpu f = begin(c);
            Fp fp = f.fp.x87(f.fcw);
            long m;
            if (k == 6) {
                m = fp.zero(false, Fp.F80);
            } else {
                m = fp.round(false, (int) K[k][2], K[k][0], K[k][1], Fp.F80, 64);
            }
            // The constants are exact to 66 bits inside the FPU: loading one raises no precision exception.
            fp.flags = 0;
            push(f, m);
        }
    }

    /** FST/FSTP m32fp/m64fp/m80fp/ST(i). */
    public static final class Store extends X87Op {
        private final int format;
        private final boolean pop;

        public Store(Dec d, int opcode, int format, boolean pop) {
            super(d, opcode);
            this.format = format;
            this.pop = pop;
        }

        @Override
        public void exec(Cpu c) {
            Fpu f = begin(c);
            Fp fp = f.fp.x87(f.fcw);
            if (f.empty(0)) {
                if (underflow(f, -1)) {
                    storeIndefinite(c, f);
                    if (pop) {
                        f.pop();
                    }
                }
                return;
            }
            int p = f.phys(0);
            if (format == STI) {
                f.set(sti, f.se[p], f.st[p]);
                f.fsw &= ~Fpu.C1;
            } else if (format == M80) {
                write80(c, f.se[p], f.st[p]);
                f.fsw &= ~Fpu.C1;
            } else {
                Num n = fp.unpack80(f.se[p], f.st[p], fp.a);
                if (n.cls == Num.SNAN) {
                    fp.flags |= Fp.IE;
                }
                long v = fp.pack(n, format == M32 ? Fp.F32 : Fp.F64, format == M32 ? 24 : 53);
                if ((fp.flags & fp.unmasked & (Fp.IE | Fp.OE | Fp.UE)) != 0) {
                    f.raise(fp.flags);
                    f.fsw &= ~Fpu.C1;
                    return;
                }
                writeMem(c, format == M32 ? 4 : 8, v);
                f.fsw = fp.up ? f.fsw | Fpu.C1 : f.fsw & ~Fpu.C1;
                f.raise(fp.flags);
            }
            if (pop) {
                f.pop();
            }
        }

        private void storeIndefinite(Cpu c, Fpu f) {
            switch (format) {
                case M32: writeMem(c, 4, 0xffc00000L); break;
                case M64: writeMem(c, 8, 0xfff8000000000000L); break;
                case M80: write80(c, 0xffff, 0xc000000000000000L); break;
                default: f.set(sti, 0xffff, 0xc000000000000000L); break;
            }
        }
    }

    /** FIST/FISTP m16/m32/m64int (rounded), FISTTP (truncated), FBSTP m80bcd. */
    public static final class StoreInt extends X87Op {
        private final int format;
        private final boolean pop;
        private final boolean truncate;

        public StoreInt(Dec d, int opcode, int format, boolean pop, boolean truncate) {
            super(d, opcode);
            this.format = format;
            this.pop = pop;
            this.truncate = truncate;
        }

        @Override
        public void exec(Cpu c) {
            Fpu f = begin(c);
            Fp fp = f.fp.x87(f.fcw);
            int bits = format == I16 ? 16 : format == I32 ? 32 : 64;
            long v;
            if (f.empty(0)) {
                if (!underflow(f, -1)) {
                    return;
                }
                v = 1L << (bits - 1);
                fp.flags = 0;
                if (format == BCD) {
                    writeBcdIndefinite(c);
                    f.pop();
                    return;
                }
            } else {
                Num n = f.get(0, fp.a);
                if (format == BCD) {
                    storeBcd(c, f, fp, n);
                    return;
                }
                v = FpConv.toInt(fp, n, bits, truncate);
                if ((fp.flags & fp.unmasked & Fp.IE) != 0) {
                    f.raise(fp.flags);
                    f.fsw &= ~Fpu.C1;
                    return;
                }
            }
            writeMem(c, bits / 8, v);
            f.fsw = fp.up ? f.fsw | Fpu.C1 : f.fsw & ~Fpu.C1;
            f.raise(fp.flags);
            if (pop) {
                f.pop();
            }
        }

        private void storeBcd(Cpu c, Fpu f, Fp fp, Num n) {
            long v = FpConv.toInt(fp, n, 64, false);
            if ((fp.flags & Fp.IE) == 0 && (v >= 1_000_000_000_000_000_000L || v <= -1_000_000_000_000_000_000L)) {
                fp.flags = Fp.IE;
            }
            if ((fp.flags & Fp.IE) != 0) {
                fp.flags = Fp.IE;
                if ((fp.flags & fp.unmasked) != 0) {
                    f.raise(fp.flags);
                    f.fsw &= ~Fpu.C1;
                    return;
                }
                writeBcdIndefinite(c);
                fp.up = false;   // the masked response: C1 = 0 even when the rounding went up (as the host shows)
            } else {
                long mag = Math.abs(v);
                long lo = 0;
                for (int i = 0; i < 16; i++) {
                    lo |= (mag % 10) << (4 * i);
                    mag /= 10;
                }
                long hi = (mag % 10) | (mag / 10 % 10) << 4 | (n.neg ? 0x8000 : 0);
                write80(c, (int) hi, lo);
            }
            f.fsw = fp.up ? f.fsw | Fpu.C1 : f.fsw & ~Fpu.C1;
            f.raise(fp.flags);
            f.pop();
        }

        private void writeBcdIndefinite(Cpu c) {
            write80(c, 0xffff, 0xc000000000000000L);
        }
    }
}
