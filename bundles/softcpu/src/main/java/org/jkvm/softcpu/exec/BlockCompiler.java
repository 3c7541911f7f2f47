package org.jkvm.softcpu.exec;

import java.lang.invoke.MethodHandles;
import java.lang.reflect.Modifier;

import org.jkvm.softcpu.ops.Branch;
import org.jkvm.softcpu.ops.Op;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Translates hot blocks to JVM bytecode (STYLE.md section 5): one hidden class per block whose {@code run} method
 * calls each op's {@code exec} through a {@code static final} field typed with the op's own class, so the call is
 * monomorphic and HotSpot inlines the ops of a block into one compiled method. Semantics stay the interpreter's:
 * the same op objects run in the same order, with the same fault bookkeeping ({@link BlockCode#run}).
 *
 * <p>The classes are hidden and not strongly bound to their loader, so a block dropped by the cache (self-modifying
 * code, a flush) takes its class with it at the next collection. Not thread-safe: one compiler per vCPU.
 */
final class BlockCompiler {
    private static final Logger LOG = LoggerFactory.getLogger(BlockCompiler.class);
    private static final String SELF = "org/jkvm/softcpu/exec/BlockCode$Gen";
    private static final String CPU = "org/jkvm/softcpu/cpu/Cpu";
    private static final String CODE = "org/jkvm/softcpu/exec/BlockCode";
    private static final String OP = "org/jkvm/softcpu/ops/Op";
    private static final String RUN_DESC = "(L" + CPU + ";)I";
    private static final String EXEC_DESC = "(L" + CPU + ";)V";

    /** Blocks translated in this JVM by every vCPU (statistics, and tests that must know the path was taken). */
    private static final java.util.concurrent.atomic.AtomicLong TOTAL = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Whether 64-bit blocks get the common ops emitted as bytecode of their own (OpEmitter); {@code
     * -Djkvm.softcpu.emit=false} keeps every op a call to its exec (for comparisons).
     */
    private static final boolean EMIT = !"false".equals(System.getProperty("jkvm.softcpu.emit"));

    /** Whether ops are emitted (not only called) in 64-bit blocks. */
    static boolean emitOn() {
        return EMIT;
    }

    private final MethodHandles.Lookup lookup = MethodHandles.lookup();
    private boolean broken;
    private long compiled;

    /** Blocks translated so far (statistics). */
    long compiled() {
        return compiled;
    }

    /** Blocks translated so far by all vCPUs of this JVM. */
    static long total() {
        return TOTAL.get();
    }

    /**
     * The translated code of {@code b}, or null when translation failed (logged once; the block then stays
     * interpreted, as do all later ones, since a failure here is a bug in this class).
     */
    BlockCode compile(Block b) {
        if (broken) {
            return null;
        }
        try {
            byte[] bytes = classFile(b.ops, b.mode);
            MethodHandles.Lookup l = lookup.defineHiddenClassWithClassData(bytes, b.ops.clone(), true);
            compiled++;
            TOTAL.incrementAndGet();
            return (BlockCode) l.findConstructor(l.lookupClass(), java.lang.invoke.MethodType.methodType(void.class))
                    .invoke();
        } catch (Throwable t) {
            broken = true;
            LOG.error("software CPU: translating the block at RIP 0x{} to bytecode failed; running interpreted from "
                    + "now on (please report it)", Long.toHexString(b.rip), t);
            return null;
        }
    }

    /** The internal name of {@code k} when bytecode in this package can name it, else Op's. */
    private static String typeOf(Class<?> k) {
        if (k.isHidden() || k.isAnonymousClass() || k.isLocalClass()) {
            return OP;
        }
        for (Class<?> e = k; e != null; e = e.getEnclosingClass()) {
            if (!Modifier.isPublic(e.getModifiers())) {
                return OP;
            }
        }
        return k.getName().replace('.', '/');
    }

    static byte[] classFile(Op[] ops, int mode) {
        ClassBytes cf = new ClassBytes(SELF);
        int n = ops.length;
        String[] types = new String[n];
        for (int k = 0; k < n; k++) {
            types[k] = typeOf(ops[k].getClass());
            cf.field(ClassBytes.ACC_STATIC | ClassBytes.ACC_FINAL, "o" + k, "L" + types[k] + ";");
        }
        clinit(cf, types);
        ClassBytes.Code init = new ClassBytes.Code();
        init.op(ClassBytes.ALOAD_0);
        init.op(ClassBytes.INVOKESPECIAL, cf.methodRef(CODE, "<init>", "()V"));
        init.op(ClassBytes.RETURN);
        cf.method(ClassBytes.ACC_PUBLIC, "<init>", "()V", 1, 1, init.bytes(), null);
        if (EMIT && mode == 2 && java.util.Arrays.stream(ops).anyMatch(OpEmitter::emits)) {
            runEmitted(cf, ops, types);
        } else {
            run(cf, ops, types);
        }
        return cf.toBytes(CODE);
    }

    /** {@code static { Op[] a = (Op[]) classData(lookup(), "_", Object.class); o0 = (T0) a[0]; ... }} */
    private static void clinit(ClassBytes cf, String[] types) {
        ClassBytes.Code c = new ClassBytes.Code();
        c.op(ClassBytes.INVOKESTATIC, cf.methodRef("java/lang/invoke/MethodHandles", "lookup",
                "()Ljava/lang/invoke/MethodHandles$Lookup;"));
        c.op(ClassBytes.LDC_W, cf.string("_"));
        c.op(ClassBytes.LDC_W, cf.classRef("java/lang/Object"));
        c.op(ClassBytes.INVOKESTATIC, cf.methodRef("java/lang/invoke/MethodHandles", "classData",
                "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/Class;)Ljava/lang/Object;"));
        c.op(ClassBytes.CHECKCAST, cf.classRef("[L" + OP + ";"));
        c.op(ClassBytes.ASTORE_0);
        for (int k = 0; k < types.length; k++) {
            c.op(ClassBytes.ALOAD_0);
            c.push(k);
            c.op(ClassBytes.AALOAD);
            c.op(ClassBytes.CHECKCAST, cf.classRef(types[k]));
            c.op(ClassBytes.PUTSTATIC, cf.fieldRef(cf.self(), "o" + k, "L" + types[k] + ";"));
        }
        c.op(ClassBytes.RETURN);
        cf.method(ClassBytes.ACC_STATIC, "<clinit>", "()V", 3, 1, c.bytes(), null);
    }

    /**
     * Whether the block ends with a near jump (conditional or not) back to its own first instruction: a loop of
     * one block, which {@link #run} keeps inside the translated method.
     */
    static boolean loopsToItself(Op[] ops) {
        Op last = ops[ops.length - 1];
        long start = ops[0].rip;
        return last instanceof Branch.Jcc j && j.target == start || last instanceof Branch.Jmp m && m.target == start;
    }

    /**
     * {@code int run(Cpu c) { c.opIndex = k; ok.exec(c); if (c.stopBlock) return k + 1; ... return n; }} (without
     * the index and the test for an op that is {@link Op#faultFree}); for a
     * block that loops to itself the method runs the next iteration itself while the run loop would run this block
     * again at once: RIP back at the block's start and nothing for the run loop to look at (no stopBlock, exit,
     * attention or checkIrq). Each finished iteration adds its instructions to {@code instret}, so a fault in a
     * later one is counted as the run loop counts it (the ops before {@code opIndex}).
     */
    private static void run(ClassBytes cf, Op[] ops, String[] types) {
        ClassBytes.Code c = new ClassBytes.Code();
        int opIndex = cf.fieldRef(CPU, "opIndex", "I");
        int stop = cf.fieldRef(CPU, "stopBlock", "Z");
        int n = types.length;
        boolean loop = loopsToItself(ops);
        int top = loop ? c.label() : 0;
        for (int k = 0; k < n; k++) {
            // An op that cannot fault needs no index, and one that cannot set stopBlock no test after it.
            boolean quiet = ops[k].faultFree();
            if (!quiet) {
                c.op(ClassBytes.ALOAD_1);
                c.push(k);
                c.op(ClassBytes.PUTFIELD, opIndex);
            }
            c.op(ClassBytes.GETSTATIC, cf.fieldRef(cf.self(), "o" + k, "L" + types[k] + ";"));
            c.op(ClassBytes.ALOAD_1);
            c.op(ClassBytes.INVOKEVIRTUAL, cf.methodRef(types[k], "exec", EXEC_DESC));
            if (k < n - 1 && !quiet) {
                returnIf(c, stop, ClassBytes.IFEQ, k + 1);
            }
        }
        if (loop) {
            loopBack(cf, c, ops, top);
        } else {
            c.push(n);
            c.op(ClassBytes.IRETURN);
        }
        cf.method(ClassBytes.ACC_PUBLIC | ClassBytes.ACC_FINAL, "run", RUN_DESC, 6, 2, c.bytes(), c.frames());
    }

    /**
     * The end of a block that loops to itself: if it jumped back to its start and nothing needs the run loop, count
     * the iteration, set RIP to the block end again and run the next one; else return the op count.
     */
    private static void loopBack(ClassBytes cf, ClassBytes.Code c, Op[] ops, int top) {
        int n = ops.length;
        int stop = cf.fieldRef(CPU, "stopBlock", "Z");
        int rip = cf.fieldRef(CPU, "rip", "J");
        c.op(ClassBytes.ALOAD_1);
        c.op(ClassBytes.GETFIELD, rip);
        c.op(ClassBytes.LDC2_W, cf.longConst(ops[0].rip));
        c.op(ClassBytes.LCMP);
        int taken = c.branch(ClassBytes.IFEQ);
        c.push(n);
        c.op(ClassBytes.IRETURN);
        c.target(taken);
        returnIf(c, stop, ClassBytes.IFEQ, n);
        returnIf(c, cf.fieldRef(CPU, "attention", "Z"), ClassBytes.IFEQ, n);
        returnIf(c, cf.fieldRef(CPU, "checkIrq", "Z"), ClassBytes.IFEQ, n);
        returnIf(c, cf.fieldRef(CPU, "exit", "Lorg/jkvm/hypervisor/VcpuExit;"), ClassBytes.IFNULL, n);
        int instret = cf.fieldRef(CPU, "instret", "J");
        c.op(ClassBytes.ALOAD_1);
        c.op(ClassBytes.DUP);
        c.op(ClassBytes.GETFIELD, instret);
        c.op(ClassBytes.LDC2_W, cf.longConst(n));
        c.op(ClassBytes.LADD);
        c.op(ClassBytes.PUTFIELD, instret);
        c.op(ClassBytes.ALOAD_1);
        c.op(ClassBytes.LDC2_W, cf.longConst(ops[n - 1].next));
        c.op(ClassBytes.PUTFIELD, rip);
        c.jumpBack(top);
    }

    /**
     * {@link #run} for a 64-bit block with ops that {@link OpEmitter} emits: those become bytecode of their own
     * (guest registers and the pending flags in locals), the others are called as in {@link #run} with the
     * registers and flags written back before and the registers reloaded after.
     */
    private static void runEmitted(ClassBytes cf, Op[] ops, String[] types) {
        ClassBytes.Code c = new ClassBytes.Code();
        OpEmitter e = new OpEmitter(cf, c, ops);
        int opIndex = cf.fieldRef(CPU, "opIndex", "I");
        int stop = cf.fieldRef(CPU, "stopBlock", "Z");
        int n = types.length;
        boolean loop = loopsToItself(ops);
        e.entry();
        int top = loop ? c.label() : 0;
        for (int k = 0; k < n; k++) {
            if (OpEmitter.emits(ops[k])) {
                e.emit(ops[k], k);
                continue;
            }
            boolean quiet = ops[k].faultFree();
            e.beforeCall();
            if (!quiet) {
                c.op(ClassBytes.ALOAD_1);
                c.push(k);
                c.op(ClassBytes.PUTFIELD, opIndex);
            }
            c.op(ClassBytes.GETSTATIC, cf.fieldRef(cf.self(), "o" + k, "L" + types[k] + ";"));
            c.op(ClassBytes.ALOAD_1);
            c.op(ClassBytes.INVOKEVIRTUAL, cf.methodRef(types[k], "exec", EXEC_DESC));
            if (k < n - 1 && !quiet) {
                returnIf(c, stop, ClassBytes.IFEQ, k + 1);
            }
            e.afterCall();
        }
        e.beforeReturn();
        if (loop) {
            loopBack(cf, c, ops, top);
        } else {
            c.push(n);
            c.op(ClassBytes.IRETURN);
        }
        cf.method(ClassBytes.ACC_PUBLIC | ClassBytes.ACC_FINAL, "run", RUN_DESC, 12, OpEmitter.MAX_LOCALS, c.bytes(),
                c.frames());
    }

    /** {@code if (c.field passes) return value;} with {@code skipOp} the test that skips the return. */
    private static void returnIf(ClassBytes.Code c, int field, int skipOp, int value) {
        c.op(ClassBytes.ALOAD_1);
        c.op(ClassBytes.GETFIELD, field);
        int skip = c.branch(skipOp);
        c.push(value);
        c.op(ClassBytes.IRETURN);
        c.target(skip);
    }
}
