package org.jkvm.softcpu.ops;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.FlagState;
import org.jkvm.softcpu.cpu.Vec;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.sys.Control;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** BCD adjustments, BOUND, and the ops that only raise an exception (#UD for unknown opcodes, x87 without an FPU). */
public final class Legacy {
    private Legacy() {
    }

    /** DAA, DAS, AAA, AAS, AAM imm8, AAD imm8 (kind 0-5). */
    public static final class Bcd extends Op {
        private final int kind;
        private final int imm;

        public Bcd(Dec d, int kind, int imm) {
            super(d);
            this.kind = kind;
            this.imm = imm;
        }

        @Override
        public void exec(Cpu c) {
            long fl = c.arith();
            boolean cf = (fl & FlagState.CF) != 0;
            boolean af = (fl & FlagState.AF) != 0;
            int al = (int) c.r[0] & 0xff;
            int ah = (int) (c.r[0] >>> 8) & 0xff;
            switch (kind) {
                case 0: case 1: {
                    int old = al;
                    boolean ncf = false;
                    boolean naf = false;
                    if ((al & 0xf) > 9 || af) {
                        al = kind == 0 ? al + 6 : al - 6;
                        ncf = cf || al > 0xff || al < 0;
                        al &= 0xff;
                        naf = true;
                    }
                    if (old > 0x99 || cf) {
                        al = (kind == 0 ? al + 0x60 : al - 0x60) & 0xff;
                        ncf = true;
                    }
                    c.setReg(0, 0, 0, al);
                    c.setArith(FlagState.szp(al, 0) | (ncf ? FlagState.CF : 0) | (naf ? FlagState.AF : 0));
                    return;
                }
                case 2: case 3: {
                    boolean adj = (al & 0xf) > 9 || af;
                    if (adj) {
                        int ax = (int) c.r[0] & 0xffff;
                        ax = kind == 2 ? ax + 0x106 : ax - 6;
                        al = ax & 0xff;
                        ah = kind == 2 ? (ax >>> 8) & 0xff : (ah - 1) & 0xff;
                    }
                    c.setReg(0, 1, 0, (al & 0xf) | ah << 8);
                    c.setArith((fl & ~(FlagState.CF | FlagState.AF)) | (adj ? FlagState.CF | FlagState.AF : 0));
                    return;
                }
                case 4:
                    if (imm == 0) {
                        throw c.fault(Vec.DE);
                    }
                    c.setReg(0, 1, 0, (al % imm) | (al / imm) << 8);
                    c.setArith(FlagState.szp(al % imm, 0));
                    return;
                default: {
                    int r = (al + ah * imm) & 0xff;
                    c.setReg(0, 1, 0, r);
                    c.setArith(FlagState.szp(r, 0));
                }
            }
        }
    }

    /** BOUND G, Ma: #BR when G is outside [lower, upper] (signed). */
    public static final class Bound extends EOp {
        public Bound(Dec d, int s) {
            super(d, s);
        }

        @Override
        public void exec(Cpu c) {
            if (isReg) {
                throw c.fault(Vec.UD);
            }
            int n = 1 << s;
            int sh = 64 - 8 * n;
            long e = ea(c);
            long lo = c.read(c.addr(seg, e, n, false), s) << sh >> sh;
            long hi = c.read(c.addr(seg, (e + n) & amask, n, false), s) << sh >> sh;
            long v = g(c) << sh >> sh;
            if (v < lo || v > hi) {
                throw c.fault(Vec.BR);
            }
        }
    }

    /** An opcode this CPU does not implement: #UD, logged once per opcode with its bytes and RIP. */
    public static final class Undefined extends Op {
        private static final Logger LOG = LoggerFactory.getLogger(Undefined.class);
        private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();
        private final String bytes;
        private final boolean quiet;

        public Undefined(Dec d, boolean quiet) {
            super(d);
            this.bytes = d.bytes();
            this.quiet = quiet;
        }

        @Override
        public boolean endsBlock() {
            return true;
        }

        @Override
        public void exec(Cpu c) {
            if (!quiet) {
                String key = bytes.length() > 8 ? bytes.substring(0, 8) : bytes;
                if (LOGGED.size() < 1000 && LOGGED.add(key)) {
                    LOG.warn("software CPU: undefined or unimplemented instruction {} at RIP 0x{} (mode {}); "
                            + "raising #UD", bytes, Long.toHexString(rip), c.decodeMode);
                }
            }
            throw c.fault(Vec.UD);
        }
    }

    /** An x87/SSE instruction: #NM when CR0.EM or CR0.TS says so, else #UD (this CPU has no FPU). */
    public static final class NoFpu extends Op {
        private final Undefined ud;

        public NoFpu(Dec d) {
            super(d);
            this.ud = new Undefined(d, false);
        }

        @Override
        public boolean endsBlock() {
            return true;
        }

        @Override
        public void exec(Cpu c) {
            if ((c.cr0 & (Control.CR0_EM | Control.CR0_TS)) != 0) {
                throw c.fault(Vec.NM);
            }
            ud.exec(c);
        }
    }

    /** An exception the decoder found (#GP for an instruction over 15 bytes, #UD for a bad LOCK). */
    public static final class Raise extends Op {
        private final int vector;

        public Raise(Dec d, int vector) {
            super(d);
            this.vector = vector;
        }

        @Override
        public boolean endsBlock() {
            return true;
        }

        @Override
        public void exec(Cpu c) {
            throw c.fault(vector, 0);
        }
    }
}
