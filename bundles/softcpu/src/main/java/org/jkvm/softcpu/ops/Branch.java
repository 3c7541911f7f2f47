package org.jkvm.softcpu.ops;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.Vec;
import org.jkvm.softcpu.decode.Dec;

/** Near control transfers: Jcc, JMP, CALL, RET, LOOP/LOOPE/LOOPNE, JrCXZ. Each ends its block. */
public final class Branch {
    private Branch() {
    }

    /** Base: ends the block. */
    public abstract static class BranchOp extends Op {
        protected BranchOp(Dec d) {
            super(d);
        }

        @Override
        public final boolean endsBlock() {
            return true;
        }
    }

    /** Sets RIP to an indirect target, checking canonical form in 64-bit mode. */
    static void jumpTo(Cpu c, long target) {
        if (c.code64 && ((target << 16) >> 16) != target) {
            throw c.fault(Vec.GP, 0);
        }
        c.rip = target;
    }

    /** Jcc rel. */
    public static final class Jcc extends BranchOp {
        private final int cc;
        public final long target;

        public Jcc(Dec d, int cc, long target) {
            super(d);
            this.cc = cc;
            this.target = target;
        }

        /** The condition (FlagState.cond's numbering). */
        public int cc() {
            return cc;
        }

        @Override
        public void exec(Cpu c) {
            if (c.cond(cc)) {
                c.rip = target;
            }
        }
    }

    /** JMP rel. */
    public static final class Jmp extends BranchOp {
        public final long target;

        public Jmp(Dec d, long target) {
            super(d);
            this.target = target;
        }

        @Override
        public void exec(Cpu c) {
            c.rip = target;
        }
    }

    /** CALL rel. */
    public static final class Call extends BranchOp {
        private final long target;
        private final int s;

        public Call(Dec d, long target, int s) {
            super(d);
            this.target = target;
            this.s = s;
        }

        @Override
        public void exec(Cpu c) {
            c.push(next, s);
            c.rip = target;
        }
    }

    /** JMP E / CALL E (FF /4, /2). */
    public static final class Indirect extends EOp {
        private final boolean call;

        public Indirect(Dec d, int s, boolean call) {
            super(d, s);
            this.call = call;
        }

        @Override
        public void exec(Cpu c) {
            long t = readE(c);
            if (c.code64 && ((t << 16) >> 16) != t) {
                throw c.fault(Vec.GP, 0);
            }
            if (call) {
                c.push(next, s);
            }
            c.rip = t;
        }

        @Override
        public boolean endsBlock() {
            return true;
        }
    }

    /** RET [imm16]. */
    public static final class Ret extends BranchOp {
        private final int imm;
        private final int s;

        public Ret(Dec d, int imm, int s) {
            super(d);
            this.imm = imm;
            this.s = s;
        }

        @Override
        public void exec(Cpu c) {
            long t = c.peek(0, s);
            jumpTo(c, t);
            c.adjustSp((1L << s) + imm);
        }
    }

    /** LOOP, LOOPE, LOOPNE (kind 0, 1, 2) and JCXZ (3), counting in CX/ECX/RCX by address size. */
    public static final class Loop extends BranchOp {
        private final int kind;
        private final long target;
        private final long amask;

        public Loop(Dec d, int kind, long target) {
            super(d);
            this.kind = kind;
            this.target = target;
            this.amask = d.asz == 1 ? 0xffffL : d.asz == 2 ? 0xffffffffL : -1L;
        }

        @Override
        public void exec(Cpu c) {
            long cx = c.r[1] & amask;
            if (kind == 3) {
                if (cx == 0) {
                    c.rip = target;
                }
                return;
            }
            cx = (cx - 1) & amask;
            c.r[1] = amask == 0xffffL ? (c.r[1] & ~0xffffL) | cx : cx;
            boolean go = cx != 0 && (kind == 0 || (kind == 1) == c.zf());
            if (go) {
                c.rip = target;
            }
        }
    }
}
