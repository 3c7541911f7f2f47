package org.jkvm.softcpu.ops;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.decode.Dec;

/** PUSH, POP, PUSHA, POPA, ENTER, LEAVE (PUSHF/POPF are in {@code SysOps}: they follow privilege rules). */
public final class Stack {
    private Stack() {
    }

    /** PUSH reg. */
    public static final class PushR extends Op {
        private final int reg;
        private final int s;

        public PushR(Dec d, int reg, int s) {
            super(d);
            this.reg = reg;
            this.s = s;
        }

        @Override
        public void exec(Cpu c) {
            c.push(c.r[reg], s);
        }
    }

    /** POP reg. */
    public static final class PopR extends Op {
        private final int reg;
        private final int s;

        public PopR(Dec d, int reg, int s) {
            super(d);
            this.reg = reg;
            this.s = s;
        }

        @Override
        public void exec(Cpu c) {
            long v = c.pop(s);
            c.setReg(reg, s, 0, v);
        }
    }

    /** PUSH imm. */
    public static final class PushI extends Op {
        private final long imm;
        private final int s;

        public PushI(Dec d, long imm, int s) {
            super(d);
            this.imm = imm;
            this.s = s;
        }

        @Override
        public void exec(Cpu c) {
            c.push(imm, s);
        }
    }

    /** PUSH E (FF /6). */
    public static final class PushE extends EOp {
        public PushE(Dec d, int s) {
            super(d, s);
        }

        @Override
        public void exec(Cpu c) {
            c.push(readE(c), s);
        }
    }

    /** POP E (8F /0): the address is computed with the incremented stack pointer. */
    public static final class PopE extends EOp {
        public PopE(Dec d, int s) {
            super(d, s);
        }

        @Override
        public void exec(Cpu c) {
            long v = c.peek(0, s);
            long oldSp = c.r[4];
            c.adjustSp(1 << s);
            try {
                writeE(c, v);
            } catch (RuntimeException e) {
                c.r[4] = oldSp;
                throw e;
            }
        }
    }

    /** PUSHA / PUSHAD (legacy modes). */
    public static final class Pusha extends Op {
        private final int s;

        public Pusha(Dec d, int s) {
            super(d);
            this.s = s;
        }

        @Override
        public void exec(Cpu c) {
            int n = 1 << s;
            long sp = c.r[4];
            // Check the whole frame first so that a fault leaves everything unchanged.
            c.addr(Cpu.SS, (sp - 8 * n) & c.spMask, 8 * n, true);
            long oldSp = sp;
            for (int i = 0; i < 8; i++) {
                c.push(i == 4 ? oldSp : c.r[i], s);
            }
        }
    }

    /** POPA / POPAD (legacy modes): the saved SP is skipped. */
    public static final class Popa extends Op {
        private final int s;

        public Popa(Dec d, int s) {
            super(d);
            this.s = s;
        }

        @Override
        public void exec(Cpu c) {
            int n = 1 << s;
            long[] v = c.popaScratch;
            for (int i = 0; i < 8; i++) {
                v[7 - i] = c.peek(i * n, s);
            }
            for (int i = 0; i < 8; i++) {
                if (i != 4) {
                    c.setReg(i, s, 0, v[i]);
                }
            }
            c.adjustSp(8L * n);
        }
    }

    /** ENTER size, level. */
    public static final class Enter extends Op {
        private final int size;
        private final int level;
        private final int s;

        public Enter(Dec d, int size, int level, int s) {
            super(d);
            this.size = size;
            this.level = level & 31;
            this.s = s;
        }

        @Override
        public void exec(Cpu c) {
            int n = 1 << s;
            long saveSp = c.r[4];
            long saveBp = c.r[5];
            try {
                c.push(c.r[5], s);
                long frame = c.r[4] & c.spMask;
                long bp = c.r[5];
                for (int i = 1; i < level; i++) {
                    bp = (bp - n) & c.spMask;
                    c.push(c.read(c.addr(Cpu.SS, bp, n, false), s), s);
                }
                if (level > 0) {
                    c.push(frame, s);
                }
                // SDM: ENTER faults whenever a write at the final stack pointer would (#SS beyond the limit, #PF
                // through paging); the host CPU checks it after writing the frame.
                c.probeWrite(c.addr(Cpu.SS, (c.r[4] - size) & c.spMask, n, true), s);
                c.setReg(5, s, 0, frame);
                c.adjustSp(-size);
            } catch (RuntimeException e) {
                c.r[4] = saveSp;
                c.r[5] = saveBp;
                throw e;
            }
        }
    }

    /** LEAVE: rSP = rBP, then POP rBP. */
    public static final class Leave extends Op {
        private final int s;

        public Leave(Dec d, int s) {
            super(d);
            this.s = s;
        }

        @Override
        public void exec(Cpu c) {
            long bp = c.r[5] & c.spMask;
            long v = c.read(c.addr(Cpu.SS, bp, 1 << s, false), s);
            c.r[4] = (c.r[4] & ~c.spMask) | ((bp + (1 << s)) & c.spMask);
            c.setReg(5, s, 0, v);
        }
    }
}
