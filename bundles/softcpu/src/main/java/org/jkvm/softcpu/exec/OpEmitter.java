package org.jkvm.softcpu.exec;

import org.jkvm.softcpu.ops.Alu;
import org.jkvm.softcpu.ops.Branch;
import org.jkvm.softcpu.ops.EOp;
import org.jkvm.softcpu.ops.Mov;
import org.jkvm.softcpu.ops.MulDiv;
import org.jkvm.softcpu.ops.Op;
import org.jkvm.softcpu.ops.Shift;
import org.jkvm.softcpu.ops.Unary;

/**
 * Emits the common 64-bit-mode ops of a translated block as bytecode of their own (DESIGN.md, "Translator"):
 * register ALU and MOV, LEA, INC/DEC, and 32/64-bit MOV loads and stores through the TLB's fast path. Guest
 * registers live in JVM locals inside the block (loaded at entry, written back to {@code c.r} before any op that is
 * called, any slow path that can fault, and the block's end); the lazy flags of the last emitted flag-setting op live
 * in locals too and reach {@code Cpu} only where something else could read them (a called op, a slow path, the
 * block's end), so flags that a later op overwrites are never stored. The kind of the pending flags is known at
 * translation time except after ADC/SBB, whose carry-in picks it.
 *
 * <p>Every emitted op computes what its {@code exec} computes: the same results and the same lazy-flag record
 * (kind, operands, result), so the interpreter, the called ops and the oracle see the same state. One instance per
 * translated method; not thread-safe.
 */
final class OpEmitter {
    private static final String CPU = "org/jkvm/softcpu/cpu/Cpu";
    private static final long M32 = 0xffffffffL;

    // Locals: 0 this, 1 Cpu, 2 c.r, guest register k at 3 + 2k, then the flag record and scratch.
    private static final int R = 2;
    static final int FA = 35;
    static final int FB = 37;
    static final int FRES = 39;
    static final int EA = 41;
    static final int LIN = 43;
    private static final int FOP = 45;
    static final int IDX = 46;
    static final int TMP = 47;
    /** A value loaded from memory for the op that uses it (ALU G,[m], MOVZX/MOVSX r,[m]). */
    static final int VAL = 48;
    /** max_locals of a method using this emitter. */
    static final int MAX_LOCALS = 50;

    /** The pending flags are in Cpu's fields (nothing in the locals). */
    static final int IN_CPU = -1;
    /** The pending flags are in the locals with a kind known only at run time (in local FOP). */
    static final int DYNAMIC = -2;

    private final ClassBytes cf;
    private final ClassBytes.Code c;
    private final MemoryEmitter mem;
    private final FlagEmitter flag;
    private final MoreEmitter mul;
    private final AluEmitter alu;
    private final int used;
    private final boolean[] dirty = new boolean[16];
    private int flags = IN_CPU;

    OpEmitter(ClassBytes cf, ClassBytes.Code c, Op[] ops) {
        this.cf = cf;
        this.c = c;
        int u = 0;
        for (Op op : ops) {
            u |= regsOf(op);
        }
        this.used = u;
        this.mem = new MemoryEmitter(this, cf, c);
        this.flag = new FlagEmitter(this, cf, c);
        this.mul = new MoreEmitter(this, flag, cf, c);
        this.alu = new AluEmitter(this, flag, cf, c);
    }

    /** Whether {@code op} has an emitted form (in a 64-bit block). */
    static boolean emits(Op op) {
        if (op instanceof Alu.RR || op instanceof Alu.RI || op instanceof Mov.RR || op instanceof Branch.Jcc
                || op instanceof Branch.Jmp) {
            return true;
        }
        if (op instanceof Shift sh) {
            return AluEmitter.emits(sh);
        }
        if (op instanceof Mov.RI m) {
            return m.wide();
        }
        if (op instanceof Mov.Lea || op instanceof Mov.Load || op instanceof Mov.Store) {
            return ((EOp) op).size() >= 2;
        }
        if (op instanceof Unary u) {
            return u.isReg() && u.size() >= 2 && (u.kind() == Unary.INC || u.kind() == Unary.DEC);
        }
        if (op instanceof MulDiv m) {
            return m.isReg() && m.size() == 3 && (m.kind() == MulDiv.MUL || m.kind() == MulDiv.IMUL);
        }
        if (op instanceof MulDiv.Imul || op instanceof Mov.Setcc) {
            return ((EOp) op).isReg() && (op instanceof Mov.Setcc || ((EOp) op).size() >= 2);
        }
        if (op instanceof Mov.Cmov m) {
            return m.isReg() && m.size() >= 2;
        }
        if (op instanceof Mov.Extend x) {
            return x.dstSize() >= 2;
        }
        if (op instanceof Alu.GE a) {
            return !a.isReg() && a.size() >= 2;
        }
        return op instanceof Unary.IncDecReg d && d.size() >= 2;
    }

    /** The guest registers an emitted op reads or writes, as a mask (0 for ops that are called). */
    private static int regsOf(Op op) {
        if (!emits(op) || op instanceof Branch.Jcc || op instanceof Branch.Jmp) {
            return 0;
        }
        if (op instanceof Mov.RI m) {
            return 1 << m.reg();
        }
        if (op instanceof Unary.IncDecReg d) {
            return 1 << d.reg();
        }
        if (op instanceof Mov.Extend x) {
            int src = x.isReg() ? 1 << x.srcReg() : bit(x.baseReg()) | bit(x.indexReg());
            return src | 1 << x.dstReg();
        }
        if (op instanceof MulDiv m) {
            return 1 | 1 << 2 | 1 << m.rmReg();
        }
        EOp e = (EOp) op;
        if (op instanceof Mov.Setcc) {
            return 1 << e.rmReg();
        }
        if (op instanceof Mov.Lea || op instanceof Mov.Load || op instanceof Mov.Store || op instanceof Alu.GE) {
            return 1 << e.gReg() | bit(e.baseReg()) | bit(e.indexReg());
        }
        return 1 << e.rmReg() | (op instanceof Alu.RI || op instanceof Unary ? 0 : 1 << e.gReg());
    }

    private static int bit(int reg) {
        return reg < 16 ? 1 << reg : 0;
    }

    static int slot(int reg) {
        return 3 + 2 * reg;
    }

    /** The method's entry: {@code c.r} and the used registers into locals, the scratch locals zeroed. */
    void entry() {
        c.op(ClassBytes.ALOAD_1);
        c.op(ClassBytes.GETFIELD, cf.fieldRef(CPU, "r", "[J"));
        c.local(ClassBytes.ASTORE, R);
        reload();
        for (int l = FA; l <= LIN; l += 2) {
            c.op(ClassBytes.LCONST_0);
            c.local(ClassBytes.LSTORE, l);
        }
        for (int l = FOP; l <= TMP; l++) {
            c.push(0);
            c.local(ClassBytes.ISTORE, l);
        }
        c.op(ClassBytes.LCONST_0);
        c.local(ClassBytes.LSTORE, VAL);
        java.io.ByteArrayOutputStream t = new java.io.ByteArrayOutputStream();
        int count = 0;
        count += object(t, cf.self());
        count += object(t, CPU);
        count += object(t, "[J");
        for (int reg = 0; reg < 16; reg++) {
            if ((used & 1 << reg) != 0) {
                t.write(4);                    // Long
                count++;
            } else {
                t.write(0);                    // Top, Top
                t.write(0);
                count += 2;
            }
        }
        for (int l = FA; l <= LIN; l += 2) {
            t.write(4);
            count++;
        }
        for (int l = FOP; l <= TMP; l++) {
            t.write(1);                        // Integer
            count++;
        }
        t.write(4);                            // VAL, Long
        count++;
        c.firstFrameLocals(t.toByteArray(), count);
    }

    private int object(java.io.ByteArrayOutputStream t, String internalName) {
        int ref = cf.classRef(internalName);
        t.write(7);
        t.write(ref >> 8);
        t.write(ref);
        return 1;
    }

    /** Loads the used registers from {@code c.r} (at entry and after a called op, which may write any). */
    private void reload() {
        for (int reg = 0; reg < 16; reg++) {
            if ((used & 1 << reg) != 0) {
                c.local(ClassBytes.ALOAD, R);
                c.push(reg);
                c.op(ClassBytes.LALOAD);
                c.local(ClassBytes.LSTORE, slot(reg));
                dirty[reg] = false;
            }
        }
    }

    /** Writes the changed registers and the pending flags to Cpu; {@code settle} also forgets them. */
    private void writeBack(boolean settle) {
        for (int reg = 0; reg < 16; reg++) {
            if (dirty[reg]) {
                c.local(ClassBytes.ALOAD, R);
                c.push(reg);
                c.local(ClassBytes.LLOAD, slot(reg));
                c.op(ClassBytes.LASTORE);
                dirty[reg] = !settle && dirty[reg];
            }
        }
        if (flags != IN_CPU) {
            storeFlags();
            if (settle) {
                flags = IN_CPU;
            }
        }
    }

    /** Emits the stores of the pending lazy-flag record (ccOp, ccA, ccB, ccRes) from its locals to Cpu. */
    private void storeFlags() {
        c.op(ClassBytes.ALOAD_1);
        c.local(ClassBytes.ILOAD, FOP);
        c.op(ClassBytes.PUTFIELD, cf.fieldRef(CPU, "ccOp", "I"));
        putLong("ccA", FA);
        putLong("ccB", FB);
        putLong("ccRes", FRES);
    }

    private void putLong(String field, int local) {
        c.op(ClassBytes.ALOAD_1);
        c.local(ClassBytes.LLOAD, local);
        c.op(ClassBytes.PUTFIELD, cf.fieldRef(CPU, field, "J"));
    }

    /**
     * Writes the changed registers and the pending flags to Cpu on a slow path, without forgetting them: the fast
     * path that joins it after has not written them.
     */
    void writeBackOnSlowPath() {
        boolean[] keep = dirty.clone();
        int keepFlags = flags;
        writeBack(false);
        System.arraycopy(keep, 0, dirty, 0, 16);
        flags = keepFlags;
    }

    /** The pending flags' ccOp when known at translation time, or IN_CPU, or DYNAMIC. */
    int flags() {
        return flags;
    }

    /** Stores the pending flags to Cpu (before a flag read that FlagEmitter does not compute itself). */
    void flagsToCpu() {
        if (flags != IN_CPU) {
            storeFlags();
            flags = IN_CPU;
        }
    }

    /** Before a called op: everything it may read is in Cpu. */
    void beforeCall() {
        writeBack(true);
    }

    /** After a called op: it may have written any register and the flags. */
    void afterCall() {
        reload();
        flags = IN_CPU;
    }

    /** Before the method returns normally. */
    void beforeReturn() {
        writeBack(true);
    }

    /** Emits {@code op} (for which {@link #emits} holds), op index {@code k} in its block. */
    void emit(Op op, int k) {
        EmitStats.emitted(op);
        if (op instanceof Alu.RR a) {
            int dst = a.regIsDest() ? a.gReg() : a.rmReg();
            int src = a.regIsDest() ? a.rmReg() : a.gReg();
            alu.alu(a.kind(), a.size(), dst, slot(src), 0);
        } else if (op instanceof Alu.RI a) {
            alu.alu(a.kind(), a.size(), a.rmReg(), -1, a.imm());
        } else if (op instanceof Alu.GE a) {
            mem.loadValue(a, k);
            alu.alu(a.kind(), a.size(), a.gReg(), VAL, 0);
        } else if (op instanceof Shift sh) {
            alu.shift(sh);
        } else if (op instanceof Branch.Jcc j) {
            mul.jcc(j);
        } else if (op instanceof Branch.Jmp j) {
            mul.jmp(j);
        } else if (op instanceof Mov.RR m) {
            c.local(ClassBytes.LLOAD, slot(m.gReg()));
            mask(m.size());
            store(m.rmReg());
        } else if (op instanceof Mov.RI m) {
            c.op(ClassBytes.LDC2_W, cf.longConst(m.size() == 3 ? m.imm() : m.imm() & M32));
            store(m.reg());
        } else if (op instanceof Mov.Lea l) {
            ea(l);
            mask(l.size());
            store(l.gReg());
        } else if (op instanceof Mov.Load l) {
            mem.access(l, k, false);
        } else if (op instanceof Mov.Store s) {
            mem.access(s, k, true);
        } else if (op instanceof Unary u) {
            alu.incDec(u.rmReg(), u.size(), u.kind() == Unary.INC);
        } else if (op instanceof MulDiv m) {
            mul.wide(m);
        } else if (op instanceof MulDiv.Imul m) {
            mul.imul(m);
        } else if (op instanceof Mov.Setcc m) {
            mul.setcc(m);
        } else if (op instanceof Mov.Cmov m) {
            mul.cmov(m);
        } else if (op instanceof Mov.Extend x) {
            if (!x.isReg()) {
                mem.loadValue(x, k);
            }
            mul.extend(x);
        } else {
            Unary.IncDecReg d = (Unary.IncDecReg) op;
            alu.incDec(d.reg(), d.size(), d.inc());
        }
    }

    void store(int reg) {
        c.local(ClassBytes.LSTORE, slot(reg));
        dirty[reg] = true;
    }

    void mask(int s) {
        if (s == 2) {
            c.op(ClassBytes.LDC2_W, cf.longConst(M32));
            c.op(ClassBytes.LAND);
        }
    }

    /** The pending flags' kind is the int on the stack (ADC/SBB: known only at run time). */
    void setDynamicKind() {
        c.local(ClassBytes.ISTORE, FOP);
        flags = DYNAMIC;
    }

    /** The pending flags' kind is {@code ccOp} (known at translation time). */
    void setKind(int ccOp) {
        c.push(ccOp);
        c.local(ClassBytes.ISTORE, FOP);
        flags = ccOp;
    }

    /** Pushes the effective address {@code (base + (index << scale) + disp) & amask}. */
    void ea(EOp e) {
        c.op(ClassBytes.LDC2_W, cf.longConst(e.disp()));
        if (e.baseReg() < 16) {
            c.local(ClassBytes.LLOAD, slot(e.baseReg()));
            c.op(ClassBytes.LADD);
        }
        if (e.indexReg() < 16) {
            c.local(ClassBytes.LLOAD, slot(e.indexReg()));
            c.push(e.scale());
            c.op(ClassBytes.LSHL);
            c.op(ClassBytes.LADD);
        }
        if (e.amask() != -1L) {
            c.op(ClassBytes.LDC2_W, cf.longConst(e.amask()));
            c.op(ClassBytes.LAND);
        }
    }

}
