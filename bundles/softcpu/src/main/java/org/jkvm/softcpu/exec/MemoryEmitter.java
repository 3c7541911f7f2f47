package org.jkvm.softcpu.exec;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.ops.EOp;

/**
 * The memory half of {@link OpEmitter}: 32/64-bit MOV loads and stores of a 64-bit block with Cpu.addr's canonical
 * check and Cpu.read/write's TLB hit inline, and a call for everything else. One instance per translated method;
 * not thread-safe.
 */
final class MemoryEmitter {
    private static final String CPU = "org/jkvm/softcpu/cpu/Cpu";
    private static final String HELPERS = "org/jkvm/softcpu/exec/MemoryEmitter";
    private static final String UNSAFE = "sun/misc/Unsafe";
    private static final int TLB_MASK = Cpu.TLB_MASK;

    private final OpEmitter ops;
    private final ClassBytes cf;
    private final ClassBytes.Code c;

    MemoryEmitter(OpEmitter ops, ClassBytes cf, ClassBytes.Code c) {
        this.ops = ops;
        this.cf = cf;
        this.c = c;
    }

    /**
     * MOV G, [mem] or MOV [mem], G (32/64-bit) in a 64-bit block: Cpu.addr's canonical check and Cpu.read/write's
     * TLB hit inline; anything else (non-canonical, TLB miss, page crossing) writes the state back, stores the op
     * index and calls {@link #load}/{@link #store}, which fault, or take the MMU's slow path, exactly as the op's
     * exec would. After a slow store the block stops if it set stopBlock (a store onto decoded code).
     */
    void access(EOp e, int k, boolean write) {
        access(e, k, write, false);
    }

    /**
     * The read of a memory operand of size {@code e.size()} (8 to 64 bits, zero-extended) into local VAL for the op
     * that uses it (ALU G,[m], MOVZX/MOVSX r,[m]): as {@link #access}, the slow path reading as the op's exec reads.
     */
    void loadValue(EOp e, int k) {
        access(e, k, false, true);
    }

    private void access(EOp e, int k, boolean write, boolean toVal) {
        int s = e.size();
        ops.ea(e);
        c.op(ClassBytes.DUP2);
        c.local(ClassBytes.LSTORE, OpEmitter.EA);
        if (e.seg() >= 4) {
            // FS and GS keep their base in 64-bit mode; the others' effective base is 0 (Modes.update).
            c.op(ClassBytes.ALOAD_1);
            c.op(ClassBytes.GETFIELD, cf.fieldRef(CPU, "base", "[J"));
            c.push(e.seg());
            c.op(ClassBytes.LALOAD);
            c.op(ClassBytes.LADD);
        }
        c.local(ClassBytes.LSTORE, OpEmitter.LIN);
        c.local(ClassBytes.LLOAD, OpEmitter.LIN);
        c.push(16);
        c.op(ClassBytes.LSHL);
        c.push(16);
        c.op(ClassBytes.LSHR);
        c.local(ClassBytes.LLOAD, OpEmitter.LIN);
        c.op(ClassBytes.LCMP);
        int notCanonical = c.branch(ClassBytes.IFNE);
        c.local(ClassBytes.LLOAD, OpEmitter.LIN);
        c.push(12);
        c.op(ClassBytes.LUSHR);
        c.op(ClassBytes.L2I);
        c.push(TLB_MASK);
        c.op(ClassBytes.IAND);
        c.local(ClassBytes.ISTORE, OpEmitter.IDX);
        c.op(ClassBytes.ALOAD_1);
        c.op(ClassBytes.GETFIELD, cf.fieldRef(CPU, write ? "tlbWrite" : "tlbRead", "[J"));
        c.local(ClassBytes.ILOAD, OpEmitter.IDX);
        c.op(ClassBytes.LALOAD);
        c.local(ClassBytes.LLOAD, OpEmitter.LIN);
        c.push(12);
        c.op(ClassBytes.LUSHR);
        c.op(ClassBytes.LCMP);
        int miss = c.branch(ClassBytes.IFNE);
        c.local(ClassBytes.LLOAD, OpEmitter.LIN);
        c.op(ClassBytes.L2I);
        c.push(0xfff);
        c.op(ClassBytes.IAND);
        c.push(4096 - (1 << s));
        int crossing = c.branch(ClassBytes.IF_ICMPGT);
        hostAccess(e, s, write, toVal);
        int done = c.branch(ClassBytes.GOTO);
        c.bind(notCanonical, miss, crossing);
        slowPath(e, k, s, write, toVal);
        int go = -1;
        if (write) {
            c.op(ClassBytes.ALOAD_1);
            c.op(ClassBytes.GETFIELD, cf.fieldRef(CPU, "stopBlock", "Z"));
            go = c.branch(ClassBytes.IFEQ);
            c.push(k + 1);
            c.op(ClassBytes.IRETURN);
        }
        c.bind(done, go);
    }

    private void hostAccess(EOp e, int s, boolean write, boolean toVal) {
        c.op(ClassBytes.GETSTATIC, cf.fieldRef("org/jkvm/softcpu/mem/Host", "U", "L" + UNSAFE + ";"));
        c.op(ClassBytes.ALOAD_1);
        c.op(ClassBytes.GETFIELD, cf.fieldRef(CPU, "tlbHost", "[J"));
        c.local(ClassBytes.ILOAD, OpEmitter.IDX);
        c.op(ClassBytes.LALOAD);
        c.local(ClassBytes.LLOAD, OpEmitter.LIN);
        c.op(ClassBytes.LDC2_W, cf.longConst(0xfff));
        c.op(ClassBytes.LAND);
        c.op(ClassBytes.LADD);
        if (write) {
            c.local(ClassBytes.LLOAD, OpEmitter.slot(e.gReg()));
            if (s == 3) {
                c.op(ClassBytes.INVOKEVIRTUAL, cf.methodRef(UNSAFE, "putLong", "(JJ)V"));
            } else {
                c.op(ClassBytes.L2I);
                c.op(ClassBytes.INVOKEVIRTUAL, cf.methodRef(UNSAFE, "putInt", "(JI)V"));
            }
        } else {
            switch (s) {
                case 3 -> c.op(ClassBytes.INVOKEVIRTUAL, cf.methodRef(UNSAFE, "getLong", "(J)J"));
                case 2 -> {
                    c.op(ClassBytes.INVOKEVIRTUAL, cf.methodRef(UNSAFE, "getInt", "(J)I"));
                    c.op(ClassBytes.I2L);
                    ops.mask(2);
                }
                default -> {
                    c.op(ClassBytes.INVOKEVIRTUAL, s == 1 ? cf.methodRef(UNSAFE, "getShort", "(J)S")
                            : cf.methodRef(UNSAFE, "getByte", "(J)B"));
                    c.push(s == 1 ? 0xffff : 0xff);
                    c.op(ClassBytes.IAND);
                    c.op(ClassBytes.I2L);
                }
            }
            result(e, toVal);
        }
    }

    /** Stores the loaded value on the stack to its destination: VAL, or the op's G register. */
    private void result(EOp e, boolean toVal) {
        if (toVal) {
            c.local(ClassBytes.LSTORE, OpEmitter.VAL);
        } else {
            ops.store(e.gReg());
        }
    }

    private void slowPath(EOp e, int k, int s, boolean write, boolean toVal) {
        ops.writeBackOnSlowPath();
        c.op(ClassBytes.ALOAD_1);
        c.push(k);
        c.op(ClassBytes.PUTFIELD, cf.fieldRef(CPU, "opIndex", "I"));
        c.op(ClassBytes.ALOAD_1);
        c.push(e.seg());
        c.local(ClassBytes.LLOAD, OpEmitter.EA);
        c.push(s);
        if (write) {
            c.local(ClassBytes.LLOAD, OpEmitter.slot(e.gReg()));
            c.op(ClassBytes.INVOKESTATIC, cf.methodRef(HELPERS, "store", "(L" + CPU + ";IJIJ)V"));
        } else {
            c.op(ClassBytes.INVOKESTATIC, cf.methodRef(HELPERS, "load", "(L" + CPU + ";IJI)J"));
            result(e, toVal);
        }
    }

    /** The slow path of an emitted load: {@code Mov.Load.exec}'s address and read (Alu.GE's, Mov.Extend's too). */
    static long load(Cpu c, int seg, long ea, int s) {
        EmitStats.slowPath();
        return c.read(c.addr(seg, ea, 1 << s, false), s);
    }

    /** The slow path of an emitted store: {@code Mov.Store.exec}'s address and write. */
    static void store(Cpu c, int seg, long ea, int s, long v) {
        EmitStats.slowPath();
        c.write(c.addr(seg, ea, 1 << s, true), s, v);
    }
}
